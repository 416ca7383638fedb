import { randomUUID } from 'node:crypto';
import type { ConnectorConfig } from '../config/schema.js';
import type { Session } from '../sessions/session.js';
import type { RenderedMessage } from '../templates/types.js';
import type { Connector, SendAccepted } from './connector.js';
import { failureFromStatus, postJson } from './http-post.js';
import { signedHeaders } from './signature.js';

type WebhookConfig = Extract<ConnectorConfig, { kind: 'webhook' }>;

/**
 * For contact centers with their own sender: the rendered message and the session as one signed
 * JSON POST. A 2xx accepts it (`{"id": ...}` in the answer becomes the provider message id);
 * 408, 429 and 5xx are retried, honouring `Retry-After`; any other status fails the invite.
 */
export class WebhookConnector implements Connector {
  readonly kind = 'webhook';

  constructor(private readonly config: WebhookConfig) {}

  async send(message: RenderedMessage, session: Session): Promise<SendAccepted> {
    // One event id per session, so a retried delivery is recognisable as the same event.
    const eventId = session.sessionId;
    const body = JSON.stringify({
      event: 'invite.send',
      sessionId: session.sessionId,
      tenant: session.tenant,
      channel: session.channel,
      clientId: session.clientId,
      businessId: session.businessId,
      standardResponseId: message.standardResponseId,
      messages: message.bodies,
      userData: session.userData,
    });
    const answer = await postJson(this.config.url, body, signedHeaders(body, this.config.secret, Date.now(), eventId));
    if (answer.status < 200 || answer.status >= 300) throw failureFromStatus(answer, 'webhook');
    const id = (answer.body as { id?: unknown } | undefined)?.id;
    return { providerMessageId: typeof id === 'string' && id ? id : `webhook.${randomUUID()}` };
  }
}
