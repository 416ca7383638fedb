import type { ConnectorConfig } from '../config/schema.js';
import { retryAfterMs, type HttpAnswer } from '../outbound/http-client.js';
import type { Session } from '../sessions/session.js';
import type { RenderedMessage } from '../templates/types.js';
import type { Connector, SendAccepted } from './connector.js';
import { DeliveryFailure } from './delivery-failure.js';
import { failureFromStatus, postJson } from './http-post.js';
import { classifyWhatsAppError } from './whatsapp-error-codes.js';

type WhatsAppCloudConfig = Extract<ConnectorConfig, { kind: 'whatsapp-cloud' }>;

/**
 * WhatsApp Cloud API (docs/protocol.md#provider-bodies): each rendered body is POSTed to
 * `{baseUrl}/{apiVersion}/{phoneNumberId}/messages` with the bearer token. A 200 means accepted,
 * not delivered: `messages[0].id` (the wamid) is kept to match the status webhooks that follow.
 */
export class WhatsAppCloudConnector implements Connector {
  readonly kind = 'whatsapp-cloud';

  constructor(private readonly config: WhatsAppCloudConfig) {}

  async send(message: RenderedMessage, session: Session): Promise<SendAccepted> {
    const url = `${this.config.baseUrl.replace(/\/$/, '')}/${this.config.apiVersion}/${encodeURIComponent(this.phoneNumberIdFor(session.businessId))}/messages`;
    let firstMessageId: string | undefined;
    // Several bodies (text, then its attachments) go in order; the first one's wamid names the invite.
    for (const body of message.bodies) {
      const answer = await postJson(url, JSON.stringify(body), { authorization: `Bearer ${this.config.token}` });
      firstMessageId ??= acceptedMessageId(answer);
    }
    return { providerMessageId: firstMessageId as string };
  }

  private phoneNumberIdFor(businessId: string): string {
    const ids = this.config.phoneNumberId;
    if (typeof ids === 'string') return ids;
    const id = Object.hasOwn(ids, businessId) ? ids[businessId] : undefined;
    if (!id) throw new DeliveryFailure('provider_error', false, `no phone-number id configured for business id ${businessId}`);
    return id;
  }
}

interface CloudApiError {
  error?: { code?: number; message?: string; error_data?: { details?: string } };
}

/** The wamid of an accepted send, or the classified failure. */
function acceptedMessageId(answer: HttpAnswer): string {
  const id = (answer.body as { messages?: Array<{ id?: string }> } | undefined)?.messages?.[0]?.id;
  if (answer.status >= 200 && answer.status < 300 && id) return id;
  const error = (answer.body as CloudApiError | undefined)?.error;
  if (typeof error?.code !== 'number') throw failureFromStatus(answer, 'WhatsApp Cloud API');
  const rule = classifyWhatsAppError(error.code);
  const details = error.error_data?.details ? ` (${error.error_data.details})` : '';
  throw new DeliveryFailure(rule.outcome, rule.retryable, `WhatsApp error ${error.code}: ${error.message ?? 'no message'}${details}`, error.code, retryAfterMs(answer.headers));
}
