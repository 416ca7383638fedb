import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfigFile, parseConfig, SAMPLE_CONFIG_PATH } from '../../src/config/load.js';
import { readEnvironment } from '../../src/config/environment.js';

function tenantWith(channel: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    tenants: [
      {
        id: 1,
        apiKeys: ['k1'],
        channels: [
          { name: 'wa', type: 'whatsapp', businessIds: ['+15550001111'], inboundRouteByCall: '1:in', connector: { kind: 'sandbox' }, ...channel },
        ],
        ...extra,
      },
    ],
  };
}

function problemsOf(json: unknown, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    parseConfig(json, 'test', env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('configuration', () => {
  it('the sample configuration loads with one tenant, a WhatsApp and an Apple channel on the sandbox', () => {
    const config = loadConfigFile(SAMPLE_CONFIG_PATH, {});
    expect(config.tenants).toHaveLength(1);
    expect(config.tenants[0]?.channels.map((c) => [c.type, c.connector.kind])).toEqual([
      ['whatsapp', 'sandbox'],
      ['apple', 'sandbox'],
    ]);
    expect(config.limits).toMatchObject({ bodyBytes: 262_144, sessionTtlSeconds: 604_800, queueLimitPerTenant: 100_000, chatQueueMaxLen: 100_000 });
    expect(config.retry).toEqual({ attempts: 8, baseDelayMs: 1_000, maxDelayMs: 300_000 });
  });

  it('limits.maxNestingDepth defaults to 32 levels and is refused below 3 (Contact) or above 256 (the readers recurse)', () => {
    expect(parseConfig(tenantWith({}), 'test', {}).limits.maxNestingDepth).toBe(32);
    expect(parseConfig({ ...tenantWith({}), limits: { maxNestingDepth: 5 } }, 'test', {}).limits.maxNestingDepth).toBe(5);
    for (const maxNestingDepth of [2, 257, 1.5]) {
      expect(problemsOf({ ...tenantWith({}), limits: { maxNestingDepth } }).join('\n')).toMatch(/limits\.maxNestingDepth/);
    }
  });

  it('when a key is misspelled, then the start is refused naming the key and its place', () => {
    expect(problemsOf(tenantWith({ bussinessIds: ['x'] }))).toContainEqual('tenants.0.channels.0: unknown key "bussinessIds"');
  });

  it('when several fields are wrong, then every one gets its own sentence', () => {
    const problems = problemsOf(tenantWith({ type: 'fax', inboundRouteByCall: 'inbound' }));
    expect(problems.some((p) => p.startsWith('tenants.0.channels.0.type:'))).toBe(true);
    expect(problems.some((p) => p.startsWith('tenants.0.channels.0.inboundRouteByCall:'))).toBe(true);
  });

  it('when a secret names an unset environment variable, then the start is refused naming it', () => {
    const json = tenantWith({}, { statusWebhook: { url: 'http://127.0.0.1:9/hook', secret: 'env:HOOK_SECRET' } });
    expect(problemsOf(json)).toEqual(['tenants.0.statusWebhook.secret: environment variable HOOK_SECRET is not set']);
    const config = parseConfig(json, 'test', { HOOK_SECRET: 's3cret' });
    expect(config.tenants[0]?.statusWebhook?.secret).toBe('s3cret');
  });

  it('when an API key is shared by two tenants, then the start is refused', () => {
    const json = tenantWith({});
    json.tenants.push({ ...json.tenants[0]!, id: 2, channels: [{ ...json.tenants[0]!.channels[0]!, inboundRouteByCall: '2:in' }] });
    expect(problemsOf(json)).toContainEqual('tenants.1.apiKeys.0: this API key is already used (each key belongs to one tenant)');
  });

  it('when a connector cannot send on the channel type, then the start is refused', () => {
    const problems = problemsOf(tenantWith({ type: 'apple', connector: { kind: 'whatsapp-cloud', baseUrl: 'http://127.0.0.1:1', apiVersion: 'v23.0', phoneNumberId: '1', token: 't' } }));
    expect(problems[0]).toMatch(/connector.kind: "whatsapp-cloud" cannot send on apple channels/);
  });

  it('a Sinch connector takes a fixed token or an access key (keyId + keySecret, env: references), exactly one of the two', () => {
    const sinch = (credentials: Record<string, unknown>) => tenantWith({ connector: { kind: 'sinch', baseUrl: 'https://us.conversation.api.sinch.com', projectId: 'p', appId: 'a', ...credentials } });
    const key = parseConfig(sinch({ keyId: 'key-1', keySecret: 'env:SINCH_SECRET' }), 'test', { SINCH_SECRET: 's3cret' }).tenants[0]!.channels[0]!.connector;
    expect(key).toMatchObject({ keyId: 'key-1', keySecret: 's3cret', authUrl: 'https://auth.sinch.com/oauth2/token' });
    expect(problemsOf(sinch({ token: 't' }))).toEqual([]);
    expect(problemsOf(sinch({}))).toEqual(['tenants.0.channels.0.connector: needs credentials: token, or keyId + keySecret (an access key for OAuth2)']);
    expect(problemsOf(sinch({ token: 't', keyId: 'k', keySecret: 's' }))).toEqual(['tenants.0.channels.0.connector: give either token or keyId + keySecret, not both']);
    expect(problemsOf(sinch({ keyId: 'k' }))).toEqual(['tenants.0.channels.0.connector.keySecret: is required with keyId']);
    expect(problemsOf(sinch({ keySecret: 's' }))).toEqual(['tenants.0.channels.0.connector.keyId: is required with keySecret']);
  });

  it('when inboundRouteByCall names another tenant, then the start is refused', () => {
    expect(problemsOf(tenantWith({ inboundRouteByCall: '2:in' }))).toEqual([
      'tenants.0.channels.0.inboundRouteByCall: the chat queue belongs to tenant 2, not to tenant 1',
    ]);
  });

  it('GATEWAY_ROLE=worker without REDIS_URL refuses to start', () => {
    expect(() => readEnvironment({ GATEWAY_ROLE: 'worker' })).toThrow(/GATEWAY_ROLE=worker needs REDIS_URL/);
    expect(readEnvironment({ GATEWAY_ROLE: 'worker', REDIS_URL: 'redis://127.0.0.1:6379' }).GATEWAY_ROLE).toBe('worker');
  });

  it('environment defaults match the contract', () => {
    const env = readEnvironment({});
    expect(env).toMatchObject({ PORT: 8080, GATEWAY_ROLE: 'all', REDIS_PREFIX: 'ig' });
    expect(env.REDIS_URL).toBeUndefined();
  });
});
