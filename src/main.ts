import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import type { Express } from 'express';
import { pino, type Logger } from 'pino';
import { readEnvironment, type Environment } from './config/environment.js';
import { loadConfigFile } from './config/load.js';
import { createGateway, type Gateway } from './gateway.js';
import { gracefulCloser, type GracefulClose } from './http/graceful-close.js';
import { maskRedisUrl } from './redis/connections.js';
import { embeddedDataDir, startEmbeddedRedis, type EmbeddedRedis } from './redis/embedded.js';

/**
 * `npm start`: reads the environment and the JSON configuration, starts an embedded Redis when
 * `REDIS_URL` is unset, runs the gateway in its role and shuts down gracefully on SIGTERM/SIGINT
 * (stop accepting, answer the requests in flight, let running deliveries finish, close Redis).
 */
export async function main(): Promise<void> {
  let env: Environment;
  try {
    env = readEnvironment();
  } catch (error) {
    // LOG_LEVEL itself may be the wrong setting: the refusal is logged at the default level.
    return refuseStart(createLogger('info'), error);
  }
  const logger = createLogger(env.LOG_LEVEL);
  let embedded: EmbeddedRedis | undefined;
  let gateway: Gateway | undefined;
  let http: GracefulClose | undefined;
  let shutdownGraceMs = 0;
  try {
    const config = loadConfigFile(env.GATEWAY_CONFIG);
    shutdownGraceMs = config.limits.shutdownGraceMs;
    let redisUrl = env.REDIS_URL;
    if (!redisUrl) {
      embedded = await startEmbeddedRedis(embeddedDataDir(env.PORT));
      redisUrl = embedded.url;
      logger.info({ redisUrl, dataDir: embedded.dataDir }, 'REDIS_URL is unset: started an embedded redis-server (set REDIS_URL in production)');
    }
    gateway = await createGateway({
      config,
      redisUrl,
      redisPrefix: env.REDIS_PREFIX,
      templatesDir: env.TEMPLATES_DIR,
      role: env.GATEWAY_ROLE,
      workerConcurrency: env.WORKER_CONCURRENCY,
      redisWaitMs: env.REDIS_WAIT_SECONDS * 1_000,
      logger,
    });
    if (gateway.app) {
      const server = await listen(gateway.app, env.PORT);
      http = gracefulCloser(server);
      const port = (server.address() as AddressInfo).port;
      logger.info({ port, role: env.GATEWAY_ROLE, config: env.GATEWAY_CONFIG }, 'invite-gateway listening');
      printBanner(`invite-gateway listening on port ${port} (role ${env.GATEWAY_ROLE})`, redisUrl, embedded);
    } else {
      logger.info({ role: env.GATEWAY_ROLE }, 'invite-gateway worker running');
      printBanner(`invite-gateway worker running (role ${env.GATEWAY_ROLE})`, redisUrl, embedded);
    }
  } catch (error) {
    await gateway?.close().catch(() => undefined);
    await embedded?.stop();
    return refuseStart(logger, error);
  }

  // Requests first, Redis last: every request the server started reading is answered while the
  // gateway can still store it; only then do the deliveries finish and Redis close.
  const shutdown = async (signal: string) => {
    logger.info({ signal, graceMs: shutdownGraceMs }, 'shutting down');
    const cut = (await http?.close(shutdownGraceMs)) ?? 0;
    if (cut > 0) logger.warn({ connections: cut }, 'limits.shutdownGraceMs passed: open connections were closed');
    await gateway?.close();
    await embedded?.stop();
    process.exit(0);
  };
  // One graceful shutdown; a second signal of either kind finds no handler and kills at once.
  const onSignal = (signal: NodeJS.Signals) => {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    void shutdown(signal);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/**
 * Readable start lines on stderr, besides the JSON log: above all the Redis URL, which with the
 * embedded Redis is on a random port that `redis-cli -u` needs (docs: the chat-queue commands).
 */
function printBanner(first: string, redisUrl: string, embedded: EmbeddedRedis | undefined): void {
  const redis = embedded
    ? `embedded Redis: ${redisUrl} (data in ${embedded.dataDir}; redis-cli -u ${redisUrl}; set REDIS_URL in production)`
    : `Redis: ${maskRedisUrl(redisUrl)}`;
  process.stderr.write(`${first}\n${redis}\n`);
}

function createLogger(level: Environment['LOG_LEVEL']): Logger {
  return pino({ level, redact: ['req.headers.authorization', 'req.headers["x-api-key"]'] });
}

/**
 * A wrong setting or a start that cannot run stops with its sentences, not a stack trace: as
 * readable lines on stderr for the person at the terminal, and as one fatal line in the JSON log.
 * Exits at once: a start that failed must not linger on a timer or a reconnecting socket.
 */
function refuseStart(logger: Logger, error: unknown): never {
  const message = error instanceof Error ? error.message : String(error);
  // The log keeps the error itself: its name and code, and the cause behind a sentence (EADDRINUSE behind "port in use").
  logger.fatal({ err: error }, message);
  process.stderr.write(`invite-gateway cannot start: ${message}\n`);
  process.exit(1);
}

/**
 * Listens on `port`, or fails with a sentence naming it. (Express's `listen` callback also runs on
 * an error, which must not be mistaken for listening.)
 */
function listen(app: Express, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port);
    const onError = (error: NodeJS.ErrnoException) => reject(new Error(listenProblem(error, port), { cause: error }));
    server.once('error', onError);
    server.once('listening', () => {
      server.off('error', onError);
      resolve(server);
    });
  });
}

function listenProblem(error: NodeJS.ErrnoException, port: number): string {
  if (error.code === 'EADDRINUSE') return `port ${port} is already in use (another invite-gateway?): stop that process or set PORT to a free port`;
  if (error.code === 'EACCES') return `port ${port} needs privileges this user does not have: set PORT to 1024 or above`;
  return `cannot listen on port ${port}: ${error.message}`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  void main();
}
