/**
 * What a provider's answer means for an invite (docs/protocol.md#delivery-and-outcomes, WhatsApp's table). Connectors
 * translate their provider's errors into a `DeliveryFailure`; the worker decides from it whether
 * to retry, give up, or give up and alert.
 */
export type OutcomeName =
  | 'rate_limited'
  | 'pair_rate_limited'
  | 'transient'
  | 'undeliverable'
  | 'outside_window'
  | 'ecosystem_protection'
  | 'marketing_opt_out'
  | 'template_rejected'
  | 'token_expired'
  | 'account_blocked'
  | 'provider_error';

export interface OutcomeRule {
  outcome: OutcomeName;
  /** Whether another attempt may succeed (with backoff). */
  retryable: boolean;
}

const WHATSAPP_ERROR_CODES: Array<[number[], OutcomeRule]> = [
  [[4, 80007, 130429], { outcome: 'rate_limited', retryable: true }],
  [[131056], { outcome: 'pair_rate_limited', retryable: true }],
  [[131057, 131000], { outcome: 'transient', retryable: true }],
  [[131026], { outcome: 'undeliverable', retryable: false }],
  [[131047], { outcome: 'outside_window', retryable: false }],
  [[131049], { outcome: 'ecosystem_protection', retryable: false }],
  [[131050], { outcome: 'marketing_opt_out', retryable: false }],
  [
    [132000, 132001, 132005, 132007, 132012, 132015, 132016, 132018, 100, 131008, 131009],
    { outcome: 'template_rejected', retryable: false },
  ],
  [[190], { outcome: 'token_expired', retryable: false }],
  [[131031, 131042, 131048, 368], { outcome: 'account_blocked', retryable: false }],
];

const RULE_BY_WHATSAPP_CODE = new Map<number, OutcomeRule>(
  WHATSAPP_ERROR_CODES.flatMap(([codes, rule]) => codes.map((code) => [code, rule] as const)),
);

/** Unknown codes are retried (bounded by the retry limit): a new provider code is rarely final. */
export function classifyWhatsAppError(code: number): OutcomeRule {
  return RULE_BY_WHATSAPP_CODE.get(code) ?? { outcome: 'provider_error', retryable: true };
}

export function isKnownWhatsAppErrorCode(code: number): boolean {
  return RULE_BY_WHATSAPP_CODE.has(code);
}

/** A send that did not succeed, as a connector reports it. */
export class DeliveryFailure extends Error {
  constructor(
    readonly outcome: OutcomeName,
    readonly retryable: boolean,
    message: string,
    readonly providerCode: number | null = null,
    /** The provider's `Retry-After`, milliseconds. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'DeliveryFailure';
  }
}
