/**
 * What a provider's answer means for an invite (docs/protocol.md#delivery-and-outcomes). Connectors
 * translate their provider's errors into a `DeliveryFailure`; the delivery worker decides from it whether
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

/** A send that did not succeed, as a connector reports it. */
export class DeliveryFailure extends Error {
  /** The kind, for logs; `outcome` says what the failure means for the invite. */
  readonly code = 'CONNECTORS.DELIVERY_FAILED';

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
