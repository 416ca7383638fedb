import type { Logger } from 'pino';
import type { ConnectorConfig } from '../config/schema.js';
import { DeliveryFailure } from '../delivery/outcomes.js';
import type { KvList } from '../esp/kvlist.js';
import type { Session } from '../sessions/session.js';
import type { RenderedMessage } from '../templates/types.js';
import type { Connector, SendAccepted } from './connector.js';
import { failureFromStatus, postJson } from './http-post.js';

type SinchConfig = Extract<ConnectorConfig, { kind: 'sinch' }>;

/** Sinch's documented limits (docs/protocol.md#provider-bodies). */
const CONVERSATION_METADATA_BYTES = 2_048;
const MESSAGE_METADATA_CHARS = 1_024;
const CORRELATION_ID_CHARS = 128;

type Body = Record<string, any>;

/**
 * Sinch Conversation API: `POST {baseUrl}/v1/projects/{projectId}/messages:send`. WhatsApp templates
 * go as `channel_template.WHATSAPP` with `body[1]text`-style parameters, text as `text_message`;
 * Apple via channel `APPLEBC`. The session's user data (contact centers call it attached data) travels
 * as `conversation_metadata`, trimmed to Sinch's limit with a warning; the session id is the
 * `correlation_id` and `message_metadata`, echoed on delivery reports.
 */
export class SinchConnector implements Connector {
  readonly kind = 'sinch';

  constructor(
    private readonly config: SinchConfig,
    private readonly logger?: Logger,
  ) {}

  async send(message: RenderedMessage, session: Session): Promise<SendAccepted> {
    const channel = session.channelType === 'apple' ? 'APPLEBC' : session.channelType === 'sms' ? 'SMS' : 'WHATSAPP';
    const request = {
      app_id: this.config.appId,
      recipient: { identified_by: { channel_identities: [{ channel, identity: identityOf(session) }] } },
      message: sinchMessage(message, channel),
      channel_priority_order: [channel],
      conversation_metadata: this.conversationMetadata(session),
      message_metadata: session.sessionId.slice(0, MESSAGE_METADATA_CHARS),
      correlation_id: session.sessionId.slice(0, CORRELATION_ID_CHARS),
    };
    const url = `${this.config.baseUrl.replace(/\/$/, '')}/v1/projects/${encodeURIComponent(this.config.projectId)}/messages:send`;
    const answer = await postJson(url, JSON.stringify(request), { authorization: `Bearer ${this.config.token}` });
    const messageId = (answer.body as { message_id?: unknown } | undefined)?.message_id;
    if (answer.status >= 200 && answer.status < 300 && typeof messageId === 'string') return { providerMessageId: messageId };
    if (answer.status === 401 || answer.status === 403) throw new DeliveryFailure('token_expired', false, `Sinch refused the credentials (HTTP ${answer.status})`);
    throw failureFromStatus(answer, 'Sinch');
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

function sinchMessage(message: RenderedMessage, channel: string): Body {
  const body: Body = message.bodies[0] ?? {};
  if (body.type === 'template') return { template_message: { channel_template: { WHATSAPP: whatsappTemplate(body) } } };
  if (body.type === 'text' && typeof body.text?.body === 'string') return { text_message: { text: body.text.body } };
  if (channel === 'APPLEBC' && (body.type === 'text' || body.type === 'richLink') && typeof body.body === 'string') return { text_message: { text: body.body } };
  if (channel === 'SMS' && typeof body.text === 'string') return { text_message: { text: body.text } };
  throw new DeliveryFailure('template_rejected', false, `the Sinch connector cannot send ${message.contentType} content on ${channel} in this build`);
}

/** A rendered Cloud API template as Sinch's channel template: `header[1]text`, `body[2]text`, `button[0]text`. */
function whatsappTemplate(body: Body): Body {
  const parameters: Record<string, string> = {};
  for (const component of (body.template?.components ?? []) as Body[]) {
    const position = (index: number) => (component.type === 'button' ? String(component.index) : String(index + 1));
    (component.parameters as Body[]).forEach((parameter, index) => {
      const value = parameter.text ?? parameter.payload ?? parameter[parameter.type]?.link;
      if (typeof value === 'string') parameters[`${component.type}[${position(index)}]${parameter.type === 'payload' ? 'payload' : 'text'}`] = value;
    });
  }
  return { template_id: body.template?.name, language_code: body.template?.language?.code, parameters };
}

