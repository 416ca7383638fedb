import { EspFault } from '../esp/faults.js';
import { getEntry, isKvList, scalarToString, type KvList } from '../esp/kvlist.js';
import { parseLogMessage } from '../esp/log-form.js';
import type { EspRequest } from '../esp/model.js';
import { parseJsonRequest } from '../esp/json-form.js';
import { readLogItems, type LogBlock, type ReadOptions } from './log-blocks.js';

/** What the server answered a logged request with. */
export type LoggedReply =
  | { kind: 'response'; line: number; sessionId?: string }
  | { kind: 'fault'; line: number; faultCode?: number; faultString?: string };

export type ReplayItem =
  | { kind: 'request'; file: string; line: number; peer?: string; time?: string; request: EspRequest; reply?: LoggedReply }
  | { kind: 'json'; file: string; line: number; request: EspRequest }
  | { kind: 'unparsed'; file: string; line: number; problem: string }
  | { kind: 'skipped'; count: number };

type PendingRequest = Extract<ReplayItem, { kind: 'request' }>;

/**
 * Every `ChatService.InviteToChat` request of one log, paired with the reply logged for it: the
 * `Event3rdServerResponse` or `Event3rdServerFault` from the same peer with the same ReferenceId,
 * nearest after it (clients recycle ReferenceIds, so the most recent unanswered request wins).
 * Broken blocks are reported as unparsed with their line, never dropped; other lines are counted.
 */
export async function* extractRequests(file: string, options: ReadOptions = {}): AsyncGenerator<ReplayItem> {
  // Unanswered requests by peer and ReferenceId, most recent last.
  const pending = new Map<string, PendingRequest[]>();
  for await (const item of readLogItems(file, options)) {
    if (item.kind === 'skipped') {
      yield item;
    } else if (item.kind === 'json') {
      yield jsonItem(file, item.text, item.line);
    } else {
      yield* blockItems(file, item, pending);
    }
  }
  const unanswered = [...pending.values()].flat().sort((a, b) => a.line - b.line);
  yield* unanswered;
}

function jsonItem(file: string, text: string, line: number): ReplayItem {
  try {
    return { kind: 'json', file, line, request: parseJsonRequest(text) };
  } catch (error) {
    return { kind: 'unparsed', file, line, problem: problemOf(error) };
  }
}

function* blockItems(file: string, block: LogBlock, pending: Map<string, PendingRequest[]>): Generator<ReplayItem> {
  const { message } = block.header;
  const isRequest = message === 'Request3rdServer';
  const isReply = message === 'Event3rdServerResponse' || message === 'Event3rdServerFault';
  if (!isRequest && !isReply) {
    yield { kind: 'skipped', count: block.lines.length };
    return;
  }
  if (block.truncated) {
    yield { kind: 'unparsed', file, line: block.line, problem: `${message} is cut off: its closing ")" never came` };
    return;
  }
  let parsed: ReturnType<typeof parseLogMessage>;
  try {
    parsed = parseLogMessage(block.lines, block.line);
  } catch (error) {
    yield { kind: 'unparsed', file, line: block.line, problem: problemOf(error) };
    return;
  }
  const key = `${parsed.peer ?? ''}|${parsed.referenceId ?? ''}`;
  const request = parsed.attributes.Request;
  if (isRequest) {
    if (!isKvList(request)) {
      yield { kind: 'unparsed', file, line: block.line, problem: 'the logged Request3rdServer has no Request list' };
      return;
    }
    if (getEntry(request, 'Service') !== 'ChatService' || getEntry(request, 'Method') !== 'InviteToChat') {
      yield { kind: 'skipped', count: block.lines.length };
      return;
    }
    const userData = parsed.attributes.UserData;
    const item: PendingRequest = {
      kind: 'request',
      file,
      line: block.line,
      peer: parsed.peer,
      time: parsed.time,
      request: { referenceId: parsed.referenceId, request, userData: isKvList(userData) ? userData : undefined },
    };
    pending.set(key, [...(pending.get(key) ?? []), item]);
    return;
  }
  const waiting = pending.get(key);
  const answered = waiting?.pop();
  if (!answered) {
    yield { kind: 'skipped', count: block.lines.length }; // a reply to a request outside this log
    return;
  }
  if (waiting!.length === 0) pending.delete(key);
  answered.reply = replyOf(message, block.line, isKvList(request) ? request : undefined);
  yield answered;
}

function replyOf(message: string, line: number, list: KvList | undefined): LoggedReply {
  const value = (key: string) => getEntry(list, key);
  if (message === 'Event3rdServerFault') {
    const code = value('FaultCode');
    const text = value('FaultString');
    return {
      kind: 'fault',
      line,
      faultCode: code === undefined || isKvList(code) ? undefined : Number(code),
      faultString: text === undefined || isKvList(text) ? undefined : scalarToString(text),
    };
  }
  const sessionId = value('_umsChatSessionId');
  return { kind: 'response', line, sessionId: sessionId === undefined || isKvList(sessionId) ? undefined : scalarToString(sessionId) };
}

function problemOf(error: unknown): string {
  return error instanceof EspFault || error instanceof Error ? error.message : String(error);
}
