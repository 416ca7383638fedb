import { DeliveryFailure } from './delivery-failure.js';

/** A provider's HTTP answer, body parsed as JSON when it is JSON. */
export interface ProviderAnswer {
  status: number;
  headers: Headers;
  body: unknown;
}

/** How long one provider call may take before it counts as a network failure (retried). */
export const PROVIDER_TIMEOUT_MS = 10_000;

/**
 * POSTs JSON to a provider. Network errors and timeouts become a retryable `transient` failure;
 * every HTTP answer is returned for the connector to classify.
 */
export async function postJson(url: string, body: string, headers: Record<string, string>, timeoutMs = PROVIDER_TIMEOUT_MS): Promise<ProviderAnswer> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    throw unreachable('provider', error, timeoutMs);
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

/** A network error or timeout as a retryable `transient` failure naming the reason. */
function unreachable(what: string, error: unknown, timeoutMs: number): DeliveryFailure {
  // The reason, not undici's bare "fetch failed": the operator reading the session's error needs to know which.
  const reason = error instanceof Error && error.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : networkCause(error);
  return new DeliveryFailure('transient', true, `${what} unreachable: ${reason}`);
}

/** A GET answer whose body was read up to a cap: `bytes` is undefined when the body exceeded it. */
export interface CappedAnswer {
  status: number;
  headers: Headers;
  bytes: Buffer | undefined;
}

/**
 * GETs `url`, reading at most `maxBytes` of the body (a larger body is abandoned, not buffered).
 * Network errors and timeouts become a retryable `transient` failure naming `what`.
 */
export async function getCapped(url: string, maxBytes: number, what: string, timeoutMs = PROVIDER_TIMEOUT_MS): Promise<CappedAnswer> {
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
    throw unreachable(what, error, timeoutMs);
  }
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

/** An HTTP status with no provider error code: 408, 429 and 5xx may pass, other 4xx will not. */
export function failureFromStatus(answer: ProviderAnswer, provider: string): DeliveryFailure {
  const retryable = answer.status === 408 || answer.status === 429 || answer.status >= 500;
  const outcome = answer.status === 429 ? 'rate_limited' : retryable ? 'transient' : 'provider_error';
  return new DeliveryFailure(outcome, retryable, `${provider} answered HTTP ${answer.status}`, null, retryAfterMs(answer.headers));
}
