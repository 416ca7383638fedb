import type { Logger } from 'pino';
import type { StatusReport } from '../connectors/connector.js';
import type { SessionStore } from '../sessions/session-store.js';
import type { MessageStore } from '../sessions/message-store.js';
import { classifyWhatsAppError } from '../connectors/whatsapp-error-codes.js';
import { suppressesRecipient } from './channel-policy.js';

/**
 * Applies a provider's status report to the session's `delivery`. Reports arrive late, twice or out
 * of order; the store's transition only moves delivery forward, so a late `delivered` after `read`
 * changes nothing, and reports keep applying after the session is terminated. A report that the
 * recipient stopped marketing messages suppresses later invites to them.
 */
export async function applyStatusReport(store: SessionStore, report: StatusReport): Promise<void> {
  if (report.delivery !== 'failed') {
    await store.transition(report.sessionId, { delivery: report.delivery });
    return;
  }
  const error = reportedError(report);
  const outcome = error.code;
  const { deliveryApplied } = await store.transition(report.sessionId, { delivery: 'failed', set: { error } });
  if (deliveryApplied && suppressesRecipient(outcome)) {
    const session = await store.get(report.sessionId);
    if (session) await store.suppressRecipient(session.tenant, session.channel, session.clientId);
  }
}

/**
 * The session error of a failed report: the outcome the connector's table gave (Sinch reason codes),
 * else WhatsApp's table for a numeric code, else `undeliverable`; the provider's code kept as it came.
 */
function reportedError(report: Pick<StatusReport, 'providerCode' | 'outcome' | 'message'>) {
  const code = report.outcome ?? (typeof report.providerCode === 'number' ? classifyWhatsAppError(report.providerCode).outcome : 'undeliverable');
  return { code, providerCode: report.providerCode ?? null, message: report.message ?? 'the provider reported the message as failed' };
}

/** A channel of one tenant, as a webhook's signature and routing fields name it. */
export interface ChannelRef {
  tenant: number;
  channel: string;
}

/** A provider's report about one of its messages (wamid, Sinch message id, MSP id). */
export interface ProviderReport {
  providerMessageId: string;
  delivery: 'sent' | StatusReport['delivery'];
  providerCode?: number | string;
  /** The outcome name, when the connector's table classified the code (Sinch reason codes). */
  outcome?: string;
  message?: string;
}

/**
 * What became of one report: `applied` (handed to the session; the store still only moves forward),
 * `duplicate` (the same message id and status was seen within `dedupeSeconds`: a replay or a
 * provider's repeat), `unknown` (no session of these channels sent that message).
 */
export type ReportResult = 'applied' | 'duplicate' | 'unknown';

/**
 * Applies a provider's report to the session that sent the message on one of `channels`: the
 * channels whose secret signed the webhook and whose routing fields (phone-number id, app id) it
 * names. A message of any other channel is `unknown`, so one tenant's signed report can never
 * change another tenant's session or suppress their recipient. Unknown messages are logged and
 * dropped (the provider would otherwise retry them for days).
 */
export async function applyProviderReport(store: SessionStore, logger: Logger, report: ProviderReport, channels: ChannelRef[], dedupeSeconds: number, messages?: MessageStore): Promise<ReportResult> {
  const found = await sessionOnChannels(store, channels, report.providerMessageId);
  const answer = found || !messages ? undefined : await answerOnChannels(messages, channels, report.providerMessageId);
  if (answer && messages) return applyAnswerReport(store, messages, report, answer, dedupeSeconds);
  if (!found) {
    logger.info({ providerMessageId: report.providerMessageId, channels: channels.map(channelName) }, 'delivery report for an unknown message');
    return 'unknown';
  }
  const { tenant, channel, sessionId } = found;
  if (!(await store.claimProviderReport(tenant, channel, report.providerMessageId, report.delivery, dedupeSeconds))) return 'duplicate';
  try {
    if (report.delivery === 'sent') await store.transition(sessionId, { delivery: 'sent' });
    else await applyStatusReport(store, { sessionId, delivery: report.delivery, providerCode: report.providerCode, outcome: report.outcome, message: report.message });
  } catch (error) {
    await store.releaseProviderReport(tenant, channel, report.providerMessageId, report.delivery).catch(() => undefined);
    throw error;
  }
  return 'applied';
}

/** A report about an agent's answer moves that message of the transcript, as one about the invite moves the session. */
async function applyAnswerReport(store: SessionStore, messages: MessageStore, report: ProviderReport, answer: ChannelRef & { messageId: string }, dedupeSeconds: number): Promise<ReportResult> {
  const { tenant, channel, messageId } = answer;
  if (!(await store.claimProviderReport(tenant, channel, report.providerMessageId, report.delivery, dedupeSeconds))) return 'duplicate';
  const error = report.delivery === 'failed' ? reportedError(report) : undefined;
  try {
    await messages.recordDelivery(messageId, answer, { delivery: report.delivery, ...(error ? { error } : {}) });
  } catch (caught) {
    await store.releaseProviderReport(tenant, channel, report.providerMessageId, report.delivery).catch(() => undefined);
    throw caught;
  }
  return 'applied';
}

async function answerOnChannels(messages: MessageStore, channels: ChannelRef[], providerMessageId: string) {
  for (const ref of channels) {
    const messageId = await messages.messageOfProviderMessage(ref.tenant, ref.channel, providerMessageId);
    if (messageId) return { ...ref, messageId };
  }
  return undefined;
}

async function sessionOnChannels(store: SessionStore, channels: ChannelRef[], providerMessageId: string) {
  for (const { tenant, channel } of channels) {
    const session = await store.sessionOfProviderMessage(tenant, channel, providerMessageId);
    if (session) return session;
  }
  return undefined;
}

function channelName(ref: ChannelRef): string {
  return `${ref.tenant}/${ref.channel}`;
}
