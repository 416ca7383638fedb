import type { Queue } from 'bullmq';
import { z } from 'zod';
import type { GatewayConfig, TenantConfig } from '../config/schema.js';
import { deliveryJobOptions, type DeliveryJobData } from '../delivery/delivery-queue.js';
import { newKvList, type KvList } from '../esp/kvlist.js';
import type { MessageStore, OutboundRecord } from '../sessions/message-store.js';
import type { Session } from '../sessions/session.js';
import type { SessionStore } from '../sessions/session-store.js';
import type { StandardResponseCatalog } from '../templates/catalog.js';
import { renderAgentText, renderStandardResponse } from '../templates/render.js';
import type { ChannelType, RenderContext, RenderedMessage } from '../templates/types.js';

/** WhatsApp's customer-service window: free text reaches a customer this long after their last message. */
export const WHATSAPP_SERVICE_WINDOW_MS = 24 * 3_600 * 1_000;

const fieldValues = z.record(z.string().max(128), z.string().max(4_096)).optional();

/** `POST /sessions/:id/messages`: the agent's own text (with attachments), or a standard response with its field codes. */
const answerBody = z.union([
  z.strictObject({
    text: z.string().min(1).max(4_096),
    attachments: z.array(z.strictObject({ url: z.url({ protocol: /^https?$/ }), name: z.string().min(1).max(256) })).max(10).optional(),
    author: z.string().min(1).max(128).optional(),
  }),
  z.strictObject({
    standardResponseId: z.string().min(1).max(256),
    Contact: fieldValues,
    Agent: fieldValues,
    CustomProperties: fieldValues,
    author: z.string().min(1).max(128).optional(),
  }),
]);
type AnswerBody = z.output<typeof answerBody>;

/** The answer cannot go now (ended session, closed WhatsApp window): 409. */
export class AnswerRefused extends Error {
  override readonly name = 'AnswerRefused';
  readonly code = 'CONVERSATION.ANSWER_REFUSED';
}

/** The answer itself is wrong (shape, unknown template, a field code without a value): 400. */
export class AnswerInvalid extends Error {
  override readonly name = 'AnswerInvalid';
  readonly code = 'CONVERSATION.ANSWER_INVALID';
}

export interface AnswerDependencies {
  config: GatewayConfig;
  store: SessionStore;
  messages: MessageStore;
  catalog: StandardResponseCatalog;
  queue: Queue<DeliveryJobData>;
  now?: () => number;
}

/**
 * An agent answers inside a conversation: the message is rendered for the session's channel,
 * checked against the session's state and WhatsApp's service window, recorded in the transcript as
 * `pending`, and sent through the delivery queue like an invite (pacing, retries, outcomes, status
 * reports). Answers `undefined` for a session the tenant cannot see.
 */
export class ConversationAnswers {
  constructor(private readonly deps: AnswerDependencies) {}

  async answer(tenant: TenantConfig, sessionId: string, input: unknown): Promise<{ messageId: string } | undefined> {
    const session = await this.deps.store.get(sessionId, { withHistory: false });
    if (!session || session.tenant !== tenant.id) return undefined;
    const body = readAnswer(input);
    if (session.state === 'terminated' || session.state === 'failed') throw new AnswerRefused(`session ${sessionId} is ${session.state}: it takes no more messages`);
    const channel = tenant.channels.find((candidate) => candidate.name === session.channel);
    if (!channel) throw new AnswerRefused(`channel ${session.channel} is no longer configured`);
    const rendered = this.render(session, channel.type as ChannelType, channel.connector.kind, body);
    this.checkServiceWindow(session, channel.type, rendered);

    const appended = await this.deps.messages.append(sessionId, outboundRecord(body, rendered));
    if (appended.kind === 'gone') return undefined;
    if (appended.kind === 'ended') throw new AnswerRefused(`session ${sessionId} is ${appended.state}: it takes no more messages`);
    const job: DeliveryJobData = { sessionId, tenant: session.tenant, channel: session.channel, businessId: session.businessId, rendered, messageId: appended.messageId };
    try {
      await this.deps.queue.add('answer', job, deliveryJobOptions(appended.messageId, this.deps.config.retry));
    } catch (error) {
      // Not queued, never sent: the transcript says so.
      await this.deps.messages.recordDelivery(appended.messageId, { tenant: session.tenant, channel: session.channel }, { delivery: 'failed', error: { code: 'not_queued', providerCode: null, message: 'the message could not be queued' } }).catch(() => undefined);
      throw error;
    }
    return { messageId: appended.messageId };
  }

  private render(session: Session, channelType: ChannelType, connectorKind: string, body: AnswerBody): RenderedMessage {
    const context: RenderContext = {
      channelType,
      clientId: session.clientId,
      businessId: session.businessId,
      sessionId: session.sessionId,
      createdAt: session.createdAt,
      contact: 'Contact' in body ? kvList(body.Contact) : newKvList(),
      agent: 'Agent' in body ? kvList(body.Agent) : newKvList(),
      customProperties: 'CustomProperties' in body ? kvList(body.CustomProperties) : newKvList(),
      attachedData: session.userData,
      // The service window is checked here, with the session's own last inbound message.
      allowFreeText: true,
      connectorKind,
    };
    if ('text' in body) return renderAgentText(body.text, body.attachments ?? [], context);
    const standardResponse = this.deps.catalog.get(body.standardResponseId);
    if (!standardResponse) throw new AnswerInvalid(`standardResponseId "${body.standardResponseId}" is not a known standard response`);
    try {
      return renderStandardResponse(standardResponse, context);
    } catch (error) {
      throw new AnswerInvalid((error as Error).message);
    }
  }

  /** WhatsApp takes free text and media only within 24 h of the customer's last message; templates always. */
  private checkServiceWindow(session: Session, channelType: string, rendered: RenderedMessage): void {
    if (channelType !== 'whatsapp' || rendered.contentType === 'notification') return;
    const now = this.deps.now?.() ?? Date.now();
    const lastInbound = session.lastInboundAt ? Date.parse(session.lastInboundAt) : Number.NaN;
    if (now - lastInbound < WHATSAPP_SERVICE_WINDOW_MS) return;
    const since = session.lastInboundAt ? `the customer last wrote at ${session.lastInboundAt}` : 'the customer has not written in this session';
    throw new AnswerRefused(`outside WhatsApp's 24 h customer-service window (${since}): only a template (standardResponseId of a notification) can be sent`);
  }
}

function readAnswer(input: unknown): AnswerBody {
  const parsed = answerBody.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const path = issue?.path.length ? issue.path.join('.') : 'the body';
  throw new AnswerInvalid(`${path}: ${issue?.message ?? 'invalid'} (send {"text"} or {"standardResponseId"}, with "author" optional)`);
}

function kvList(values: Record<string, string> | undefined): KvList {
  const list = newKvList();
  for (const [key, value] of Object.entries(values ?? {})) list[key] = value;
  return list;
}

function outboundRecord(body: AnswerBody, rendered: RenderedMessage): OutboundRecord {
  const common = { direction: 'out' as const, at: new Date().toISOString(), delivery: 'pending' as const, ...(body.author ? { author: body.author } : {}) };
  if ('text' in body) return { ...common, kind: 'text', text: body.text, ...(body.attachments?.length ? { attachments: body.attachments } : {}) };
  return { ...common, kind: 'template', standardResponseId: rendered.standardResponseId };
}
