import type { OutcomeName } from './delivery-failure.js';

/**
 * What a Sinch `FAILED` delivery report's `reason.code` means for an invite, in the outcome names of
 * WhatsApp's table (docs/protocol.md#delivery-and-outcomes). The codes are Sinch's `ReasonCode`
 * (Conversation API model `Reason`, sinch/sinch-sdk-node packages/conversation/src/models/v1/reason).
 * A code not listed here is `provider_error`, as an unknown WhatsApp code is. Sinch reports no per-pair rate limit.
 */
export type SinchOutcome = Exclude<OutcomeName, 'pair_rate_limited'>;

const SINCH_REASON_CODES: Array<[string[], SinchOutcome]> = [
  [['RATE_LIMITED'], 'rate_limited'],
  [['INTERNAL_ERROR', 'CHANNEL_FAILURE', 'DELIVERY_TIMED_OUT', 'DELIVERY_REPORT_TIME_OUT'], 'transient'],
  [['RECIPIENT_INVALID_CHANNEL_IDENTITY', 'RECIPIENT_NOT_REACHABLE', 'CONTACT_NOT_FOUND', 'NO_CHANNEL_IDENTITY_FOR_CONTACT', 'NO_CHANNELS_LEFT', 'MESSAGE_EXPIRED'], 'undeliverable'],
  [['OUTSIDE_ALLOWED_SENDING_WINDOW'], 'outside_window'],
  [['DELIVERY_REJECTED_DUE_TO_POLICY'], 'ecosystem_protection'],
  // Sinch's consent management: the recipient opted out (or never in); they are suppressed like a WhatsApp marketing opt-out.
  [['RECIPIENT_NOT_OPTED_IN'], 'marketing_opt_out'],
  [
    ['TEMPLATE_NOT_FOUND', 'TEMPLATE_INSUFFICIENT_PARAMETERS', 'TEMPLATE_NON_EXISTING_LANGUAGE_OR_VERSION', 'MEDIA_TYPE_UNSUPPORTED', 'MEDIA_TOO_LARGE', 'MEDIA_NOT_REACHABLE', 'BAD_REQUEST', 'UNSUPPORTED_OPERATION', 'MESSAGE_SPLIT_REQUIRED'],
    'template_rejected',
  ],
  [['INACTIVE_CREDENTIAL'], 'token_expired'],
  [['CHANNEL_BAD_CONFIGURATION', 'CHANNEL_CONFIGURATION_MISSING', 'UNKNOWN_APP', 'NO_PERMISSION', 'NO_PROFILE_AVAILABLE'], 'account_blocked'],
  [['UNKNOWN', 'CHANNEL_REJECT'], 'provider_error'],
];

const OUTCOME_BY_SINCH_REASON = new Map<string, SinchOutcome>(SINCH_REASON_CODES.flatMap(([codes, outcome]) => codes.map((code) => [code, outcome] as const)));

/** The outcome of a failed Sinch message, by its report's `reason.code` (absent: `undeliverable`). */
export function classifySinchReason(code: string | undefined): SinchOutcome {
  if (code === undefined) return 'undeliverable';
  return OUTCOME_BY_SINCH_REASON.get(code) ?? 'provider_error';
}
