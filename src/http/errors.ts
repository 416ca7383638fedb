import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { isRedisUnavailable, REDIS_RETRY_AFTER_SECONDS } from '../redis/unavailable.js';
import { bodyProblem, logBodyProblem } from './body-errors.js';

/**
 * The stable codes of the non-ESP routes' errors (docs/protocol.md#http-errors). `POST /esp` answers
 * ESP faults instead (src/esp/faults.ts), and so does a campaign upload whose invite parameters are
 * wrong: a campaign's parameters are an invite's, and keep its fault codes.
 */
export const HTTP_ERROR_CODES = [
  'bad_request',
  'unauthenticated',
  'bad_signature',
  'forbidden',
  'not_found',
  'conflict',
  'payload_too_large',
  'unsupported_media_type',
  'redis_unavailable',
  'internal',
] as const;
export type HttpErrorCode = (typeof HTTP_ERROR_CODES)[number];

/** The one error body of the non-ESP routes: a sentence naming the field and the problem, and a code. */
export interface ErrorBody {
  error: string;
  code: HttpErrorCode;
}

/** An answer other than success, thrown by a route and written by `answerErrors`. */
export class HttpError extends Error {
  override readonly name = 'HttpError';

  constructor(
    readonly status: number,
    readonly code: HttpErrorCode,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

export const notFound = (): HttpError => new HttpError(404, 'not_found', 'not found');
export const badRequest = (sentence: string): HttpError => new HttpError(400, 'bad_request', sentence);
export const conflict = (sentence: string): HttpError => new HttpError(409, 'conflict', sentence);

/** 401 with the sentence saying what was wrong with the credentials (never echoing them). */
export const unauthenticated = (sentence: string): HttpError => new HttpError(401, 'unauthenticated', sentence, { 'WWW-Authenticate': 'Bearer' });

export const redisUnavailable = (): HttpError =>
  new HttpError(503, 'redis_unavailable', 'Redis is unavailable; try again later', { 'Retry-After': String(REDIS_RETRY_AFTER_SECONDS) });

export function sendHttpError(response: Response, error: HttpError): void {
  const body: ErrorBody = { error: error.message, code: error.code };
  response.status(error.status).set(error.headers).json(body);
}

const BODY_PROBLEM_CODES: Record<number, HttpErrorCode> = { 413: 'payload_too_large', 415: 'unsupported_media_type' };

/**
 * The central error handler of the non-ESP routes, registered last. No stack in a body, and for a
 * body the parser refused, no part of the body in the answer or the log either.
 */
export function answerErrors(logger: Logger) {
  return (error: unknown, request: Request, response: Response, _next: NextFunction): void => {
    if (error instanceof HttpError) return sendHttpError(response, error);
    if (isRedisUnavailable(error)) return sendHttpError(response, redisUnavailable());
    const refused = bodyProblem(error);
    if (refused) {
      logBodyProblem(logger, request, refused);
      return sendHttpError(response, new HttpError(refused.status, BODY_PROBLEM_CODES[refused.status] ?? 'bad_request', refused.message));
    }
    const { status, expose } = error as { status?: number; expose?: boolean };
    if (status && status >= 400 && status < 500) {
      // The caller's mistake (a path whose %-escapes do not decode, …): said without quoting the
      // request, which may hold customer data, and logged without a stack.
      logger.info({ status, method: request.method }, 'request refused');
      const sentence = error instanceof URIError ? 'the path holds a %-escape that does not decode' : expose ? (error as Error).message : 'the request cannot be read';
      return sendHttpError(response, new HttpError(status, 'bad_request', sentence));
    }
    logger.error({ err: error }, 'unexpected error');
    sendHttpError(response, new HttpError(500, 'internal', 'internal error; it is logged'));
  };
}
