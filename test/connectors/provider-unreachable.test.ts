import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJson } from '../../src/connectors/http-post.js';
import { DeliveryFailure } from '../../src/connectors/delivery-failure.js';
import { startLoopbackServer, type LoopbackServer } from '../support/loopback.js';

describe('a provider that cannot be reached', () => {
  let silent: LoopbackServer;

  beforeAll(async () => {
    // Accepts the request and never answers, like a provider stuck behind a load balancer.
    silent = await startLoopbackServer(() => new Promise(() => undefined));
  });
  afterAll(async () => {
    await silent?.close().catch(() => undefined);
  });

  async function failureOf(attempt: Promise<unknown>): Promise<DeliveryFailure> {
    const error = await attempt.then(() => undefined, (caught: unknown) => caught);
    expect(error).toBeInstanceOf(DeliveryFailure);
    return error as DeliveryFailure;
  }

  it('a refused connection is a retryable transient failure', async () => {
    // A port nothing listens on any more (not port 1: fetch refuses it as a "bad port" before connecting).
    const closed = await startLoopbackServer(() => undefined);
    await closed.close();
    const failure = await failureOf(postJson(`${closed.url}/v23.0/1/messages`, '{}', {}));
    // The cause undici hides behind "fetch failed" is what the session's error says.
    expect([failure.outcome, failure.retryable, failure.message]).toEqual(['transient', true, 'provider unreachable: ECONNREFUSED']);
  });

  it('no answer within the timeout is a retryable transient failure', async () => {
    const attempt = failureOf(postJson(`${silent.url}/v23.0/1/messages`, '{}', {}, 200));
    // The call gives up at its own 200 ms, not the 10 s default. A timer of ten times that, started
    // after the call's, is the yardstick rather than the wall clock: a loaded machine delays both
    // alike, and the call's timer, due first, still fires first.
    const yardstick = sleep(2_000).then(() => 'still waiting' as const);
    const failure = await Promise.race([attempt, yardstick]);
    expect(failure).toBeInstanceOf(DeliveryFailure);
    const { outcome, retryable, message } = failure as DeliveryFailure;
    expect([outcome, retryable, message]).toEqual(['transient', true, 'provider unreachable: no answer within 200 ms']);
  });
});
