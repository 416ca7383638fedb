import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SinchOAuthToken } from '../../src/connectors/sinch-oauth.js';
import { DeliveryFailure } from '../../src/connectors/delivery-failure.js';
import { FakeSinch } from '../support/fake-sinch.js';

describe("Sinch OAuth2 tokens against a loopback of Sinch's token endpoint", () => {
  const sinch = new FakeSinch({ projectId: 'p', appId: 'a', keyId: 'key-id', keySecret: 'key-secret', tokenLifetimeSeconds: 3_600 });
  beforeAll(() => sinch.start());
  afterAll(() => sinch.stop());

  it('keeps a token until 60 s before expires_in runs out, then fetches a new one', async () => {
    let now = 1_000_000;
    const tokens = new SinchOAuthToken('key-id', 'key-secret', `${sinch.url}/oauth2/token`, () => now);
    const first = await tokens.token();
    now += 3_539_000;
    expect(await tokens.token()).toBe(first);
    now += 2_000;
    expect(await tokens.token()).not.toBe(first);
  });

  it('a refused access key is token_expired (the channel stops), not a retry', async () => {
    const tokens = new SinchOAuthToken('key-id', 'wrong-secret', `${sinch.url}/oauth2/token`);
    const failure = await tokens.token().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(DeliveryFailure);
    expect(failure).toMatchObject({ outcome: 'token_expired', retryable: false });
  });
});
