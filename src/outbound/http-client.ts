/**
 * The gateway's outbound HTTP: the calls it makes to providers, contact-center status webhooks and CRMs, and the
 * command-line tools' calls to a gateway. It speaks HTTP only; what an answer or a failure means is the caller's
 * (connectors/http-post.ts turns them into `DeliveryFailure`s).
 */

/** An HTTP answer, body parsed as JSON when it is JSON. */
export interface HttpAnswer {
  status: number;
  headers: Headers;
  body: unknown;
}

/** A GET answer whose body was read up to a cap: `bytes` is undefined when the body exceeded it. */
export interface CappedAnswer {
  status: number;
  headers: Headers;
  bytes: Buffer | undefined;
}

/** A request that got no HTTP answer: refused, reset, no DNS name, a TLS error, or nothing within the timeout. */
export class Unreachable extends Error {
  readonly code = 'OUTBOUND.UNREACHABLE';

  constructor(
    /** Why, in a few words: `ECONNREFUSED`, `no answer within 800 ms`. */
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(`unreachable: ${reason}`, options);
    this.name = 'Unreachable';
  }
}

/**
 * POSTs a body, JSON unless `headers` name another `content-type`; the answer is parsed as JSON when it is.
 * A request that gets no answer throws `Unreachable`; every HTTP answer is returned, whatever its status.
 */
export async function postJson(url: string, body: string, headers: Record<string, string>, timeoutMs: number): Promise<HttpAnswer> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    throw unreachable(error, timeoutMs);
  }
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // Not JSON (an HTML error page from a proxy, say): kept as text for the error message.
  }
  return { status: response.status, headers: response.headers, body: parsed };
}

/**
 * GETs `url`, reading at most `maxBytes` of the body (a larger body is abandoned, not buffered).
 * A request that gets no answer, or whose body breaks off, throws `Unreachable`.
 */
export async function getCapped(url: string, maxBytes: number, timeoutMs: number): Promise<CappedAnswer> {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const response = await fetch(url, { signal });
    const declared = Number(response.headers.get('content-length') ?? Number.NaN);
    if (!response.ok || !response.body || declared > maxBytes) {
      await response.body?.cancel();
      return { status: response.status, headers: response.headers, bytes: declared > maxBytes ? undefined : Buffer.alloc(0) };
    }
    const chunks: Buffer[] = [];
    let size = 0;
    // Leaving the loop early cancels the stream: the rest of a too large body is never downloaded.
    for await (const chunk of response.body) {
      size += chunk.byteLength;
      if (size > maxBytes) break;
      chunks.push(Buffer.from(chunk));
    }
    return { status: response.status, headers: response.headers, bytes: size > maxBytes ? undefined : Buffer.concat(chunks) };
  } catch (error) {
    throw unreachable(error, timeoutMs);
  }
}

function unreachable(error: unknown, timeoutMs: number): Unreachable {
  // The reason, not undici's bare "fetch failed": the operator reading the session's error needs to know which.
  const reason = error instanceof Error && error.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : networkCause(error);
  return new Unreachable(reason, { cause: error });
}

/** undici hides the reason (`ECONNREFUSED`, a TLS error) in `cause` behind a bare "fetch failed". */
export function networkCause(error: unknown): string {
  const cause = error instanceof Error ? error.cause : undefined;
  if (cause instanceof Error) return (cause as NodeJS.ErrnoException).code ?? cause.message;
  return error instanceof Error ? error.message : String(error);
}

/** `Retry-After` in seconds or as an HTTP date, in milliseconds. */
export function retryAfterMs(headers: Headers, now = Date.now()): number | undefined {
  const value = headers.get('retry-after');
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1_000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
