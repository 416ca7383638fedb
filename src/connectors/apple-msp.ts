import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type { ConnectorConfig } from '../config/schema.js';
import { DeliveryFailure } from './delivery-failure.js';
import type { Session } from '../sessions/session.js';
import type { RenderedMessage } from '../templates/types.js';
import type { Connector, SendAccepted } from './connector.js';
import { RichLinkImages } from './apple-rich-link-image.js';
import { failureFromStatus, postJson } from './http-post.js';

type AppleMspConfig = Extract<ConnectorConfig, { kind: 'apple-msp' }>;

/**
 * Apple Messages for Business through a messaging service provider (docs/protocol.md#provider-bodies):
 * `POST {baseUrl}/v1/message` with the MSP body, headers `id`, `source-id` (business id) and
 * `destination-id` (the customer's opaque id), and a bearer JWT (HS256) signed with the MSP secret,
 * which Apple hands out base64-encoded. A rich link image given by URL is fetched and sent as Apple's
 * `{data, mimeType}` (apple-rich-link-image.ts).
 */
export class AppleMspConnector implements Connector {
  readonly kind = 'apple-msp';
  private readonly key: Uint8Array;
  private readonly images = new RichLinkImages();

  constructor(private readonly config: AppleMspConfig) {
    this.key = Buffer.from(config.secret, 'base64');
  }

  async send(message: RenderedMessage, session: Session): Promise<SendAccepted> {
    const body = await this.images.resolve(message.bodies[0] ?? {});
    const id = typeof body.id === 'string' ? body.id : randomUUID();
    const token = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setIssuer(this.config.mspId ?? 'invite-gateway').setIssuedAt().sign(this.key);
    const answer = await postJson(`${this.config.baseUrl.replace(/\/$/, '')}/v1/message`, JSON.stringify(body), {
      authorization: `Bearer ${token}`,
      id,
      'source-id': session.businessId,
      'destination-id': session.clientId,
    });
    if (answer.status >= 200 && answer.status < 300) return { providerMessageId: id };
    // The customer closed the conversation (or never opened one): nothing may be sent until they write.
    if (answer.status === 404 || answer.status === 410) {
      throw new DeliveryFailure('undeliverable', false, `Apple MSP answered HTTP ${answer.status}: the conversation is closed or unknown`);
    }
    if (answer.status === 401 || answer.status === 403) {
      throw new DeliveryFailure('token_expired', false, `Apple MSP refused the credentials (HTTP ${answer.status})`);
    }
    throw failureFromStatus(answer, 'Apple MSP');
  }
}
