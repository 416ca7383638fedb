/** What the command-line tools share about the gateway they talk to: its URL, the API key, errors. */
import { readCliEnvironment, type CliEnvironment } from '../config/environment.js';
import { networkCause } from '../outbound/http-client.js';

/** A command line a tool cannot run with: exit status 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly code = 'CLI.USAGE';
}

/** The gateway cannot be used at all (down, not a gateway, API key refused): exit status 2. */
export class TargetError extends Error {
  override readonly name = 'TargetError';
  readonly code = 'CLI.TARGET_UNUSABLE';
}

/**
 * The line a tool ends with when it cannot go on: the sentence, then the error's stable code, which a script
 * wrapping the tool can match on (the exit status is 2 for all of them).
 */
export function problemLine(tool: string, error: Error & { code: string }): string {
  return `${tool}: ${error.message} [${error.code}]`;
}

export interface GatewayTarget {
  /** Base URL without a trailing slash. */
  url: string;
  apiKey: string;
}

/** The `parseArgs` options every tool takes to name its gateway. */
export const TARGET_OPTIONS = {
  target: { type: 'string' },
  'api-key': { type: 'string' },
} as const;

export const TARGET_USAGE = `  --target URL         the gateway (default http://127.0.0.1:$PORT, PORT default 8080)
  --api-key KEY        the tenant's API key (or INVITE_GATEWAY_API_KEY)`;

/** `--target` (default: the local gateway) and `--api-key` (or INVITE_GATEWAY_API_KEY). */
export function gatewayTarget(values: { target?: string; 'api-key'?: string }, env: NodeJS.ProcessEnv = process.env): GatewayTarget {
  let settings: CliEnvironment;
  try {
    settings = readCliEnvironment(env);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const apiKey = values['api-key'] ?? settings.INVITE_GATEWAY_API_KEY;
  if (!apiKey) throw new UsageError('--api-key is required (or set INVITE_GATEWAY_API_KEY)');
  return { url: targetUrl(values.target ?? `http://127.0.0.1:${settings.PORT}`), apiKey };
}

function targetUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--target "${text}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--target must be an http or https URL, not ${url.protocol}`);
  return url.href.replace(/\/+$/, '');
}

/** Fails with TargetError when the gateway does not answer its liveness probe. */
export async function checkReachable(url: string): Promise<void> {
  try {
    const response = await fetch(`${url}/livez`, { signal: AbortSignal.timeout(5000) });
    if (!response.ok) throw new TargetError(`${url}/livez answered HTTP ${response.status}: is --target an invite-gateway?`);
  } catch (error) {
    throw unreachable(error, url);
  }
}

/**
 * Fails with TargetError when the gateway refuses the API key. Asks for a session id no gateway
 * issues (`GET /sessions/:id`: 401 before anything is looked up, else 404), so the check stores
 * nothing and counts no invite, and a run that ends up sending nothing still knows its key works.
 */
export async function checkApiKey(url: string, apiKey: string): Promise<void> {
  let response: Response;
  try {
    response = await fetch(`${url}/sessions/api-key-check`, { headers: { authorization: `Bearer ${apiKey}` }, signal: AbortSignal.timeout(5000) });
    await response.body?.cancel();
  } catch (error) {
    throw unreachable(error, url);
  }
  if (response.status === 401) throw new TargetError(`${url} refused the API key`);
}

/** A request that got no answer, as a TargetError naming the gateway and the cause (ECONNREFUSED …). */
export function unreachable(error: unknown, url: string): TargetError {
  return error instanceof TargetError ? error : new TargetError(`cannot reach ${url}: ${networkCause(error)}`);
}

/** A connection that broke during a run (the gateway answered before), as a TargetError. */
export function connectionLost(error: unknown, url: string): TargetError {
  return error instanceof TargetError ? error : new TargetError(`lost the connection to ${url}: ${networkCause(error)}`);
}
