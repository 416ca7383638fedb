import { getEntry, getScalar, isKvList, type KvList } from '../esp/kvlist.js';
import { parseLogMessage } from '../esp/log-form.js';
import { parseJsonRequest } from '../esp/json-form.js';
import type { EspRequest } from '../esp/model.js';
import { scanReplyBlock, scanRequestBlock, type ReplyFields } from './quick-scan.js';
import { readLogItemBatches, type LogBlock, type ReadOptions } from './log-blocks.js';

/** What the server answered a logged request with. */
export type LoggedReply =
  | { kind: 'response'; line: number; sessionId?: string }
  | { kind: 'fault'; line: number; faultCode?: number; faultString?: string };

/**
 * A logged request, kept as its text: it is parsed in full only when it is replayed
 * (`parseLoggedRequest`), so reading a log costs little more than splitting it into messages. The
 * few fields pairing and filters need are read on the way.
 */
export interface LoggedRequest {
  kind: 'request';
  /** `log`: a Request3rdServer block (lines joined by `\n`); `json`: a `POST /esp` JSON line. */
  form: 'log' | 'json';
  text: string;
  file: string;
  line: number;
  peer?: string;
  time?: string;
  referenceId?: number;
  /** `_umsChannel` and `_umsBusinessId` as read by a quick scan, for `--channel` / `--business-id`. */
  channel?: string;
  businessId?: string;
  reply?: LoggedReply;
}

/** A block that cannot be read; `peer` and `time` come from its header when it has one. */
export interface UnparsedBlock {
  kind: 'unparsed';
  file: string;
  line: number;
  peer?: string;
  time?: string;
  problem: string;
}

export type ReplayItem = LoggedRequest | UnparsedBlock | { kind: 'skipped'; count: number };

type PendingRequest = LoggedRequest;

/** Says what the line is like without quoting it: log lines hold customer data. */
const UNRECOGNISED_HEADER = 'a line names Request3rdServer, but not in a message header layout the reader knows (docs/replay.md lists them)';

/**
 * Every `ChatService.InviteToChat` request of one log, paired with the reply logged for it: the
 * `Event3rdServerResponse` or `Event3rdServerFault` from the same peer with the same ReferenceId,
 * nearest after it (clients recycle ReferenceIds, so the most recent unanswered request wins).
 * Broken blocks are reported as unparsed with their line, never dropped; other lines are counted.
 * Items come in batches, one per chunk of the file, which keeps async overhead off the hot path.
 */
export async function* extractRequestBatches(file: string, options: ReadOptions = {}): AsyncGenerator<ReplayItem[]> {
  // Unanswered requests by peer and ReferenceId, most recent last.
  const pending = new UnansweredRequests();
  for await (const batch of readLogItemBatches(file, options)) {
    const out: ReplayItem[] = [];
    for (const item of batch) {
      if (item.kind === 'skipped') out.push(item);
      else if (item.kind === 'json') out.push(jsonItem(file, item.text, item.line));
      else if (item.kind === 'unrecognised') out.push({ kind: 'unparsed', file, line: item.line, problem: UNRECOGNISED_HEADER });
      else blockItems(file, item, pending, out);
    }
    if (out.length > 0) yield out;
  }
  yield pending.all();
}

/** The same items one by one. */
export async function* extractRequests(file: string, options: ReadOptions = {}): AsyncGenerator<ReplayItem> {
  for await (const batch of extractRequestBatches(file, options)) yield* batch;
}

/** JSON lines are rare (captured by QA, not by servers): parsed at once, so filters read them exactly. */
function jsonItem(file: string, text: string, line: number): ReplayItem {
  let request: EspRequest;
  try {
    request = parseJsonRequest(text);
  } catch (error) {
    return { kind: 'unparsed', file, line, problem: problemOf(error) };
  }
  const parameters = parametersOf(request);
  return { kind: 'request', form: 'json', text, file, line, referenceId: request.referenceId, channel: getScalar(parameters, '_umsChannel'), businessId: getScalar(parameters, '_umsBusinessId') };
}

/** The request's `Parameters` list, if it has one. */
export function parametersOf(request: EspRequest): KvList | undefined {
  const parameters = getEntry(request.request, 'Parameters');
  return isKvList(parameters) ? parameters : undefined;
}

/**
 * Requests waiting for their reply, by peer and ReferenceId, most recent last. Nested maps with
 * the ReferenceId as a number key: no key string is built per message on this hot path.
 */
class UnansweredRequests {
  private readonly byPeer = new Map<string, Map<number | undefined, PendingRequest[]>>();

  add(request: PendingRequest): void {
    let byReference = this.byPeer.get(request.peer ?? '');
    if (!byReference) this.byPeer.set(request.peer ?? '', (byReference = new Map()));
    const waiting = byReference.get(request.referenceId);
    if (waiting) waiting.push(request);
    else byReference.set(request.referenceId, [request]);
  }

  /** The most recent request from `peer` with that ReferenceId, no longer waiting. */
  take(peer: string | undefined, referenceId: number | undefined): PendingRequest | undefined {
    const byReference = this.byPeer.get(peer ?? '');
    const waiting = byReference?.get(referenceId);
    const request = waiting?.pop();
    if (waiting?.length === 0) byReference!.delete(referenceId);
    return request;
  }

  /** Requests never answered, in file order. */
  all(): PendingRequest[] {
    return [...this.byPeer.values()].flatMap((byReference) => [...byReference.values()].flat()).sort((a, b) => a.line - b.line);
  }
}

function blockItems(file: string, block: LogBlock, pending: UnansweredRequests, out: ReplayItem[]): void {
  const { message } = block.header;
  const isRequest = message === 'Request3rdServer';
  const isReply = message === 'Event3rdServerResponse' || message === 'Event3rdServerFault';
  if (!isRequest && !isReply) {
    out.push({ kind: 'skipped', count: block.lineCount });
    return;
  }
  if (block.truncated) {
    out.push({ kind: 'unparsed', file, line: block.line, peer: block.header.peer, time: block.header.time, problem: `${message} is cut off: its closing ")" never came` });
    return;
  }
  if (isRequest) {
    const scan = scanRequestBlock(block.text);
    if (scan.otherMethod) {
      out.push({ kind: 'skipped', count: block.lineCount });
      return;
    }
    const { fields } = scan;
    pending.add({
      kind: 'request',
      form: 'log',
      text: block.text,
      file,
      line: block.line,
      peer: block.header.peer,
      time: block.header.time,
      referenceId: fields.referenceId,
      channel: fields.channel,
      businessId: fields.businessId,
    });
    return;
  }
  let fields: ReplyFields;
  let reply: LoggedReply;
  try {
    fields = readReplyFields(block);
    reply = replyOf(message, block.line, fields);
  } catch (error) {
    out.push({ kind: 'unparsed', file, line: block.line, peer: block.header.peer, time: block.header.time, problem: problemOf(error) });
    return;
  }
  const answered = pending.take(block.header.peer, fields.referenceId);
  if (!answered) {
    out.push({ kind: 'skipped', count: block.lineCount }); // a reply to a request outside this log
    return;
  }
  answered.reply = reply;
  out.push(answered);
}

/**
 * What pairing and classifying read from a reply. Most replies have the plain shape the quick scan
 * reads; the others are parsed in full, which throws on a broken reply so that it is reported.
 */
function readReplyFields(block: LogBlock): ReplyFields {
  const scanned = scanReplyBlock(block.text);
  if (scanned) return scanned;
  const parsed = parseLogMessage(block.text.split('\n'), block.line, block.header);
  const request = parsed.attributes.Request;
  const list = isKvList(request) ? request : undefined;
  return { referenceId: parsed.referenceId, faultCode: getScalar(list, 'FaultCode'), faultString: getScalar(list, 'FaultString'), sessionId: getScalar(list, '_umsChatSessionId') };
}

/** The logged answer; throws for a FaultCode that is not an integer, which no server logs: the reply is broken. */
function replyOf(message: string, line: number, fields: ReplyFields): LoggedReply {
  if (message === 'Event3rdServerFault') {
    const code = fields.faultCode;
    if (code !== undefined && !INTEGER.test(code)) throw new Error(`FaultCode must be an integer, not ${JSON.stringify(code)}`);
    return { kind: 'fault', line, faultCode: code === undefined ? undefined : Number(code), faultString: fields.faultString };
  }
  return { kind: 'response', line, sessionId: fields.sessionId };
}

const INTEGER = /^-?\d+$/;

function problemOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export type ParsedLoggedRequest = { kind: 'request'; request: EspRequest } | { kind: 'unparsed'; problem: string } | { kind: 'otherMethod' };

/**
 * The full parse of a logged request, done when it is about to be replayed. A block the quick
 * scan let through may still turn out broken (unparsed) or not an InviteToChat (not replayed).
 */
export function parseLoggedRequest(item: Pick<LoggedRequest, 'form' | 'text' | 'line'>): ParsedLoggedRequest {
  try {
    if (item.form === 'json') return { kind: 'request', request: parseJsonRequest(item.text) };
    const parsed = parseLogMessage(item.text.split('\n'), item.line);
    const request = parsed.attributes.Request;
    if (!isKvList(request)) return { kind: 'unparsed', problem: 'the logged Request3rdServer has no Request list' };
    if (getEntry(request, 'Service') !== 'ChatService' || getEntry(request, 'Method') !== 'InviteToChat') return { kind: 'otherMethod' };
    const userData = parsed.attributes.UserData;
    return { kind: 'request', request: { referenceId: parsed.referenceId, request, userData: isKvList(userData) ? userData : undefined } };
  } catch (error) {
    return { kind: 'unparsed', problem: problemOf(error) };
  }
}
