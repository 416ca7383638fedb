import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { SAMPLE_CONFIG_PATH } from './load.js';

const DEFAULT_TEMPLATES_DIR = fileURLToPath(new URL('../../templates', import.meta.url));

/** Settings taken from the environment (docs/protocol.md#configuration); the JSON file holds tenants and channels. */
export const environmentSchema = z.object({
  /**
   * HTTP port, 0 to 65535 (0: a free one).
   * @defaultValue 8080
   */
  PORT: z.coerce.number().int().min(0).max(65_535).default(8080),
  /**
   * `redis://` or `rediss://` URL of the shared Redis.
   * @defaultValue unset: the gateway starts an embedded redis-server of its own (not with `GATEWAY_ROLE=worker`)
   */
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL').optional(),
  /**
   * Seconds the start waits for Redis to answer (a Redis started alongside, in compose or Kubernetes)
   * before it gives up and exits 1 naming the URL and the cause.
   * @defaultValue 30
   */
  REDIS_WAIT_SECONDS: z.coerce.number().int().positive().default(30),
  /**
   * Every key and queue lives under it, so several gateways can share one Redis.
   * @defaultValue ig
   */
  REDIS_PREFIX: z.string().regex(/^[A-Za-z0-9{}:_-]+$/, 'letters, digits, {}, colon, dash, underscore').default('ig'),
  /**
   * The configuration file (tenants, channels, limits).
   * @defaultValue config/gateway.sample.json
   */
  GATEWAY_CONFIG: z.string().default(SAMPLE_CONFIG_PATH),
  /**
   * The standard responses' directory.
   * @defaultValue templates/
   */
  TEMPLATES_DIR: z.string().default(DEFAULT_TEMPLATES_DIR),
  /**
   * What this process runs: the HTTP API, the delivery workers, or both.
   * @defaultValue all
   */
  GATEWAY_ROLE: z.enum(['all', 'api', 'worker']).default('all'),
  /**
   * Delivery jobs one worker process runs at once.
   * @defaultValue 20
   */
  WORKER_CONCURRENCY: z.coerce.number().int().positive().default(20),
  /**
   * pino's level for the JSON log on stdout.
   * @defaultValue info
   */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type Environment = z.output<typeof environmentSchema>;

/** Settings the command-line tools (`campaign …`, `replay …`) take from the environment. */
export const cliEnvironmentSchema = z.object({
  /**
   * The local gateway's port: `--target` defaults to `http://127.0.0.1:$PORT`.
   * @defaultValue 8080
   */
  PORT: environmentSchema.shape.PORT,
  /**
   * The tenant's API key when `--api-key` is not given.
   * @defaultValue unset: `--api-key` is required
   */
  INVITE_GATEWAY_API_KEY: z.string().min(1).optional(),
});

export type CliEnvironment = z.output<typeof cliEnvironmentSchema>;

/** The tools' settings; a wrong one (a PORT that is no port) is a sentence naming it. */
export function readCliEnvironment(env: NodeJS.ProcessEnv = process.env): CliEnvironment {
  const parsed = cliEnvironmentSchema.safeParse(withoutEmptyValues(env));
  if (!parsed.success) throw new Error(`invalid environment: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
  return parsed.data;
}

/** An empty variable counts as unset. */
function withoutEmptyValues(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== ''));
}

export function readEnvironment(env: NodeJS.ProcessEnv = process.env): Environment {
  const parsed = environmentSchema.safeParse(withoutEmptyValues(env));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`invalid environment:\n  - ${problems.join('\n  - ')}`);
  }
  if (parsed.data.GATEWAY_ROLE === 'worker' && !parsed.data.REDIS_URL) {
    throw new Error('GATEWAY_ROLE=worker needs REDIS_URL: a worker must share the API gateway\'s Redis, not start its own');
  }
  return parsed.data;
}
