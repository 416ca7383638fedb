import type { Request } from 'express';
import type { Logger } from 'pino';
import { describeJsonProblem, findJsonProblem } from './json-text.js';

/**
 * A request body that body-parser (express.json/raw/text) refused, described without any of its
 * content: body-parser's errors carry the body (`error.body`) and V8's JSON messages quote it, and
 * both are customer data. Answers and logs use only this.
 */
export interface BodyProblem {
  /** HTTP status: 400, 413 (too large) or 415 (charset or encoding). */
  status: number;
  /** body-parser's error type, e.g. `entity.parse.failed`, `entity.too.large`. */
  type: string;
  /** What is wrong and where, for the answer; never a quote of the body. */
  message: string;
  line?: number;
  column?: number;
}

/** The problem a body-parser error reports, or undefined for any other error. */
export function bodyProblem(error: unknown, limitName = 'the configured limit'): BodyProblem | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { type, status, body } = error as { type?: unknown; status?: unknown; body?: unknown };
  if (typeof type !== 'string' || typeof status !== 'number' || !BODY_ERROR_TYPES.has(type)) return undefined;
  if (type === 'entity.parse.failed') {
    // body-parser's strict mode refuses a valid scalar document (`true`, `"x"`): no position then.
    const located = typeof body === 'string' ? findJsonProblem(body, Number.POSITIVE_INFINITY) : undefined;
    if (!located) return { status: 400, type, message: 'the body must be a JSON object or array' };
    return { status: 400, type, message: describeJsonProblem(located), line: located.line, column: located.column };
  }
  return { status, type, message: messageFor(type, limitName) };
}

/** One warning line: type, status and position, never the body or a stack. */
export function logBodyProblem(logger: Logger, request: Request, problem: BodyProblem): void {
  const { type, status, line, column } = problem;
  logger.warn({ method: request.method, path: request.path, type, status, line, column }, 'request body refused');
}

/** body-parser's error types (see its README, "Errors"). */
const BODY_ERROR_TYPES = new Set([
  'entity.parse.failed',
  'entity.too.large',
  'entity.verify.failed',
  'request.aborted',
  'request.size.invalid',
  'stream.encoding.set',
  'stream.not.readable',
  'parameters.too.many',
  'charset.unsupported',
  'encoding.unsupported',
]);

function messageFor(type: string, limitName: string): string {
  switch (type) {
    case 'entity.too.large':
      return `the body is larger than ${limitName}`;
    case 'charset.unsupported':
      return 'the charset in Content-Type is not supported';
    case 'encoding.unsupported':
      return 'the Content-Encoding is not supported';
    case 'request.aborted':
      return 'the body was cut off before its end';
    case 'request.size.invalid':
      return 'the body is not as long as its Content-Length';
    default:
      return 'the body could not be read';
  }
}
