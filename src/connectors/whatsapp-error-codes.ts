import type { OutcomeRule } from './delivery-failure.js';

/** WhatsApp Cloud API error codes and what each means for an invite (docs/protocol.md#delivery-and-outcomes, WhatsApp's table). */
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
