import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { pino, type Logger } from 'pino';
import { parseConfig } from '../../src/config/load.js';
import type { GatewayConfigInput } from '../../src/config/schema.js';
import { createGateway, type Gateway, type GatewayOptions, type GatewayRole } from '../../src/gateway.js';
import { deleteKeys, TEST_REDIS_URL, uniquePrefix } from './redis.js';

export const SAMPLE_TEMPLATES_DIR = fileURLToPath(new URL('../../templates', import.meta.url));

export const TENANT1_KEY = 'test-key-tenant1';
export const TENANT2_KEY = 'test-key-tenant2';
export const WA_BUSINESS_ID = '+15550001111';
export const APPLE_BUSINESS_ID = 'b7d1c0de-5a1e-4c3b-9f00-000000000abc';

/** Two tenants: tenant 1 with a WhatsApp and an Apple channel, tenant 2 with one WhatsApp channel. */
export function testConfig(overrides: Partial<GatewayConfigInput> = {}): GatewayConfigInput {
  return {
    tenants: [
      {
        id: 1,
        apiKeys: [TENANT1_KEY],
        channels: [
          {
            name: 'whatsapp-main',
            type: 'whatsapp',
            businessIds: [WA_BUSINESS_ID],
            inboundRouteByCall: '1:session-WA-inbound',
            connector: { kind: 'sandbox', reportDelayMs: 100 },
            contactIdKeys: ['ANI'],
          },
          {
            name: 'apple-main',
            type: 'apple',
            businessIds: [APPLE_BUSINESS_ID],
            inboundRouteByCall: '1:session-ABC-inbound',
            connector: { kind: 'sandbox', reportDelayMs: 100 },
          },
        ],
      },
      {
        id: 2,
        apiKeys: [TENANT2_KEY],
        channels: [
          {
            name: 'whatsapp-t2',
            type: 'whatsapp',
            businessIds: ['+15550002222'],
            inboundRouteByCall: '2:session-WA-inbound',
            connector: { kind: 'sandbox', reportDelayMs: 100 },
          },
        ],
      },
    ],
    retry: { attempts: 3, baseDelayMs: 20, maxDelayMs: 100 },
    ...overrides,
  };
}

/** Delivery jobs one test gateway's worker runs at once: at most this many sends are under way. */
export const TEST_WORKER_CONCURRENCY = 10;

export interface TestGateway extends Gateway {
  prefix: string;
  redis: Redis;
  /** Stops the gateway and deletes every key it wrote. */
  dispose(): Promise<void>;
}

/** Options for `createGateway` as tests use them: test config, sample templates, silent logs. */
export function gatewayOptions(overrides: Partial<GatewayOptions> & { redisPrefix: string }): GatewayOptions {
  return {
    config: parseConfig(testConfig()),
    redisUrl: TEST_REDIS_URL,
    templatesDir: SAMPLE_TEMPLATES_DIR,
    role: 'all',
    workerConcurrency: TEST_WORKER_CONCURRENCY,
    logger: pino({ level: 'silent' }),
    processMetrics: false,
    ...overrides,
  };
}

export async function startTestGateway(
  options: { label: string; config?: GatewayConfigInput; role?: GatewayRole; templatesDir?: string; logger?: Logger } = { label: 'gw' },
): Promise<TestGateway> {
  const prefix = uniquePrefix(options.label);
  const gateway = await createGateway(
    gatewayOptions({
      redisPrefix: prefix,
      config: parseConfig(options.config ?? testConfig()),
      templatesDir: options.templatesDir ?? SAMPLE_TEMPLATES_DIR,
      role: options.role ?? 'all',
      ...(options.logger ? { logger: options.logger } : {}),
    }),
  );
  const redis = new Redis(TEST_REDIS_URL);
  return {
    ...gateway,
    prefix,
    redis,
    async dispose() {
      await gateway.close();
      await deleteKeys(redis, prefix);
      redis.disconnect();
    },
  };
}

/** Polls until `check` returns a value that is not undefined, or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 5_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
