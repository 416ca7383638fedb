import * as outbound from '../outbound/http-client.js';
import { DeliveryFailure } from './delivery-failure.js';

/** How long one provider call may take before it counts as a network failure (retried). */
export const PROVIDER_TIMEOUT_MS = 10_000;

/**
 * POSTs to a provider (JSON unless `headers` name another content type; the answer is read as JSON).
 * Network errors and timeouts become a retryable `transient` failure naming `what`; every HTTP answer
 * is returned for the connector to classify.
 */
export function postJson(url: string, body: string, headers: Record<string, string>, timeoutMs = PROVIDER_TIMEOUT_MS, what = 'provider'): Promise<outbound.HttpAnswer> {
  return failingAsTransient(what, outbound.postJson(url, body, headers, timeoutMs));
}

/**
 * GETs `url`, reading at most `maxBytes` of the body (a larger body is abandoned, not buffered).
 * Network errors and timeouts become a retryable `transient` failure naming `what`.
 */
export function getCapped(url: string, maxBytes: number, what: string, timeoutMs = PROVIDER_TIMEOUT_MS): Promise<outbound.CappedAnswer> {
  return failingAsTransient(what, outbound.getCapped(url, maxBytes, timeoutMs));
}

/** A call that got no answer, as a retryable `transient` failure naming what did not answer and why. */
async function failingAsTransient<T>(what: string, call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    if (error instanceof outbound.Unreachable) throw new DeliveryFailure('transient', true, `${what} unreachable: ${error.reason}`);
    throw error;
  }
}

/** An HTTP status with no provider error code: 408, 429 and 5xx may pass, other 4xx will not. */
export function failureFromStatus(answer: outbound.HttpAnswer, provider: string): DeliveryFailure {
  const retryable = answer.status === 408 || answer.status === 429 || answer.status >= 500;
  const outcome = answer.status === 429 ? 'rate_limited' : retryable ? 'transient' : 'provider_error';
  return new DeliveryFailure(outcome, retryable, `${provider} answered HTTP ${answer.status}`, null, outbound.retryAfterMs(answer.headers));
}
