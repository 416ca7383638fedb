import type { Logger } from 'pino';
import type { ConnectorConfig } from '../config/schema.js';
import { DeliveryFailure } from './delivery-failure.js';
import type { KvList } from '../esp/kvlist.js';
import type { Session } from '../sessions/session.js';
import type { RenderedMessage } from '../templates/types.js';
import type { Connector, SendAccepted } from './connector.js';
import { failureFromStatus, postJson } from './http-post.js';
import { sinchMessages } from './sinch-message.js';
import { fixedToken, SinchOAuthToken, type SinchCredentials } from './sinch-oauth.js';

type SinchConfig = Extract<ConnectorConfig, { kind: 'sinch' }>;

/** Sinch's documented limits (docs/protocol.md#provider-bodies). */
const CONVERSATION_METADATA_BYTES = 2_048;
const MESSAGE_METADATA_CHARS = 1_024;
const CORRELATION_ID_CHARS = 128;

/**
 * Sinch Conversation API: `POST {baseUrl}/v1/projects/{projectId}/messages:send`. WhatsApp templates
 * go as `channel_template.WHATSAPP` with Sinch's parameter keys, text as `text_message`, attachments
 * as `media_message`s after it (sinch-message.ts); Apple via channel `APPLEBC`. The session's user
 * data (contact centers call it attached data) travels as `conversation_metadata`, trimmed to
 * Sinch's limit with a warning; the session id is the `correlation_id` and `message_metadata`,
 * echoed on delivery reports. Authentication is a fixed bearer token or OAuth2 client credentials
 * (sinch-oauth.ts); with OAuth2 a 401 fetches a new token and tries once more.
 */
export class SinchConnector implements Connector {
  readonly kind = 'sinch';
  private readonly credentials: SinchCredentials;

  constructor(
    private readonly config: SinchConfig,
    private readonly logger?: Logger,
  ) {
    this.credentials = config.keyId && config.keySecret ? new SinchOAuthToken(config.keyId, config.keySecret, config.authUrl) : fixedToken(config.token ?? '');
  }

  async send(message: RenderedMessage, session: Session): Promise<SendAccepted> {
    const channel = session.channelType === 'apple' ? 'APPLEBC' : session.channelType === 'sms' ? 'SMS' : 'WHATSAPP';
    const envelope = {
      app_id: this.config.appId,
      recipient: { identified_by: { channel_identities: [{ channel, identity: identityOf(session) }] } },
      channel_priority_order: [channel],
      conversation_metadata: this.conversationMetadata(session),
      message_metadata: session.sessionId.slice(0, MESSAGE_METADATA_CHARS),
      correlation_id: session.sessionId.slice(0, CORRELATION_ID_CHARS),
    };
    let firstMessageId: string | undefined;
    // Several messages (a text, then its attachments) go in order; the first one's id names the invite.
    for (const appMessage of sinchMessages(message, channel)) {
      const messageId = await this.sendOne(JSON.stringify({ ...envelope, message: appMessage }));
      firstMessageId ??= messageId;
    }
    if (firstMessageId === undefined) throw new DeliveryFailure('template_rejected', false, 'the rendered message has no body to send');
    return { providerMessageId: firstMessageId };
  }

  /** One `messages:send`; a refused OAuth2 token is renewed once before the credentials count as expired. */
  private async sendOne(request: string): Promise<string> {
    const url = `${this.config.baseUrl.replace(/\/$/, '')}/v1/projects/${encodeURIComponent(this.config.projectId)}/messages:send`;
    for (let attempt = 1; ; attempt++) {
      const token = await this.credentials.token();
      const answer = await postJson(url, request, { authorization: `Bearer ${token}` });
      const messageId = (answer.body as { message_id?: unknown } | undefined)?.message_id;
      if (answer.status >= 200 && answer.status < 300 && typeof messageId === 'string') return messageId;
      if (answer.status === 401 && attempt === 1 && this.credentials.refused(token)) continue;
      if (answer.status === 401 || answer.status === 403) throw new DeliveryFailure('token_expired', false, `Sinch refused the credentials (HTTP ${answer.status})`);
      throw failureFromStatus(answer, 'Sinch');
    }
  }

  /** User data as JSON within 2,048 bytes: whole entries are dropped from the end until it fits. */
  private conversationMetadata(session: Session): KvList {
    const entries = Object.entries(session.userData);
    let kept = entries.length;
    const fits = (count: number) => Buffer.byteLength(JSON.stringify(Object.fromEntries(entries.slice(0, count)))) <= CONVERSATION_METADATA_BYTES;
    while (kept > 0 && !fits(kept)) kept--;
    if (kept < entries.length) {
      this.logger?.warn({ sessionId: session.sessionId, dropped: entries.slice(kept).map(([key]) => key) }, 'user data trimmed to fit Sinch conversation_metadata (2,048 bytes)');
    }
    return Object.fromEntries(entries.slice(0, kept)) as KvList;
  }
}

/** Sinch wants WhatsApp numbers without the leading `+`. */
function identityOf(session: Session): string {
  return session.channelType === 'apple' ? session.clientId : session.clientId.replace(/^\+/, '');
}
