import type { KvList } from '../esp/kvlist.js';

/** Channel types the gateway can render for (docs/protocol.md#content-types). */
export type ChannelType = 'whatsapp' | 'apple' | 'sms';

/** Everything a field code may resolve against when one invite is rendered. */
export interface RenderContext {
  channelType: ChannelType;
  /** `_umsClientId`: phone number (WhatsApp/SMS) or opaque Apple conversation id. */
  clientId: string;
  /** `_umsBusinessId`. */
  businessId: string;
  /** `Interaction.Id`: the session id (`0000000000000000` in a dry run). */
  sessionId: string;
  /** `Interaction.DateCreated`, ISO 8601 (`1970-01-01T00:00:00Z` in a dry run). */
  createdAt: string;
  contact: KvList;
  agent: KvList;
  customProperties: KvList;
  /** The request's `UserData`: `Interaction.AttachedData("Key")`. */
  attachedData: KvList;
  /** WhatsApp: whether free-form text (not a template) may be sent on this channel. */
  allowFreeText: boolean;
  /**
   * The channel's `connector.kind` (`sinch`, `apple-msp`, …), a plain name: content the connector's
   * provider cannot carry is refused at the door. Absent: no connector limits apply.
   */
  connectorKind?: string;
}

/**
 * What a standard response renders to: the bodies the channel type's real provider would get,
 * in sending order (WhatsApp text with attachments is one text message and one media message each).
 */
export interface RenderedMessage {
  standardResponseId: string;
  contentType: string;
  bodies: Array<Record<string, unknown>>;
}
