import type { KvList } from '../esp/kvlist.js';

/**
 * The session's own life (docs/protocol.md#state-and-delivery): `queued -> sending -> open` (placed in its chat queue)
 * or `terminated` / `failed`. A session without a message goes `queued -> open`.
 */
export type SessionState = 'queued' | 'sending' | 'open' | 'terminated' | 'failed';

/**
 * The invite message's life, which goes on after the session ends: `none`, or
 * `pending -> sent -> delivered -> read`, or `failed`. It never moves back.
 */
export type DeliveryState = 'none' | 'pending' | 'sent' | 'delivered' | 'read' | 'failed';

/** From which states each state may be entered. */
export const STATE_ENTERED_FROM: Record<SessionState, SessionState[]> = {
  queued: [],
  sending: ['queued', 'sending'],
  open: ['queued', 'sending'],
  terminated: ['queued', 'sending', 'open'],
  failed: ['queued', 'sending'],
};

export interface SessionError {
  /** Outcome name: `undeliverable`, `rate_limited`, `template_rejected`, … */
  code: string;
  /** The provider's own error code, when it gave one: a number (WhatsApp, MSP) or a name (Sinch `reason.code`). */
  providerCode: number | string | null;
  message: string;
}

export interface HistoryEntry {
  event: string;
  at: string;
}

/** A session as stored (client id unmasked); `GET /sessions/:id` masks it. */
export interface Session {
  sessionId: string;
  tenant: number;
  channel: string;
  channelType: string;
  state: SessionState;
  delivery: DeliveryState;
  /** `Outbound` when `GCTI_Chat_SubmitAsOutbound=true`, else `Inbound`. */
  type: 'Outbound' | 'Inbound';
  subtype: 'OutboundNew' | 'InboundNew';
  chatQueueKey: string;
  terminate: boolean;
  clientId: string;
  businessId: string;
  standardResponseId: string | null;
  attempts: number;
  providerMessageId: string | null;
  error: SessionError | null;
  createdAt: string;
  history: HistoryEntry[];
  userData: KvList;
  /** The customer wrote in this session (docs/protocol.md, conversations). */
  engaged: boolean;
  lastInboundAt: string | null;
  /** When the last message to the customer was handed to the provider. */
  lastOutboundAt: string | null;
  /** Messages in the transcript after the invite's own. */
  messageCount: number;
  /** The display name the provider gives for the customer (WhatsApp profile name). */
  customerName: string | null;
}

/** What the invite use case decides; the store adds state, history and counters. */
export type NewSession = Pick<
  Session,
  | 'sessionId'
  | 'tenant'
  | 'channel'
  | 'channelType'
  | 'type'
  | 'subtype'
  | 'chatQueueKey'
  | 'terminate'
  | 'clientId'
  | 'businessId'
  | 'standardResponseId'
  | 'createdAt'
  | 'userData'
> & {
  /** The campaign row a campaign invite was made from. */
  campaign?: CampaignRowRef;
};

/** A campaign invite's row; stored in the session hash as `<campaignId>:<row>`. */
export interface CampaignRowRef {
  campaignId: string;
  row: number;
}
