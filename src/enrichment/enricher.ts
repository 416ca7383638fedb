import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { ChannelConfig } from '../config/schema.js';
import { networkCause } from '../outbound/http-client.js';
import { maskIdentifier } from '../sessions/masking.js';
import { EnrichmentError, substitutePlaceholders, type EnrichmentInput } from './placeholders.js';
import { compileResponsePath, type EnrichmentResponse, type ResponsePath } from './response-path.js';

export type EnrichmentConfig = NonNullable<ChannelConfig['enrichment']>;

/** The groups a lookup may fill: attached data for the chat server, custom properties for field codes. */
export const SAVE_GROUPS = ['CustomProperties', 'UserData'] as const;
export type SaveGroup = (typeof SAVE_GROUPS)[number];
export type SavedValues = Record<SaveGroup, Record<string, string>>;

export type EnrichmentResult = { outcome: 'enriched' | 'cached'; saved: SavedValues } | { outcome: 'failed'; reason: string };

export interface EnricherOptions {
  /** The HTTP client; tests may pass their own. @defaultValue the global `fetch` */
  fetch?: typeof fetch;
  /** The clock of the cache, in milliseconds. @defaultValue `Date.now` */
  now?: () => number;
  /** Most lookups remembered, all channels together. @defaultValue 1000 */
  cacheEntries?: number;
}

/** The request a lookup sends, once every placeholder is filled in. */
interface LookupRequest {
  method: 'GET' | 'POST';
  url: string;
  headers: Headers;
  body: string | undefined;
}

interface SavePath {
  group: SaveGroup;
  name: string;
  read: ResponsePath;
}

/**
 * The problems of a channel's enrichment settings, one sentence each, for the start-up check:
 * a save group nothing reads, or a response path that cannot be parsed.
 */
export function checkEnrichmentConfig(config: EnrichmentConfig): string[] {
  return compileSavePaths(config).problems;
}

/**
 * Looks customers up in a CRM before an invite is rendered (docs/protocol.md#enrichment). A lookup that fails,
 * for whatever reason, is a returned `failed` result: the channel's `onFailure` decides what follows.
 * Successful answers are remembered per channel and request for `cacheSeconds`, and identical
 * lookups running at once share one request, so a campaign burst does not hammer the CRM.
 */
export class Enricher {
  private readonly fetch: typeof fetch;
  private readonly now: () => number;
  private readonly cache: LRUCache<string, { saved: SavedValues; expiresAt: number }>;
  private readonly inFlight = new Map<string, Promise<SavedValues>>();
  private readonly savePaths = new WeakMap<EnrichmentConfig, SavePath[]>();

  constructor(options: EnricherOptions = {}) {
    this.fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.now = options.now ?? Date.now;
    this.cache = new LRUCache({ max: options.cacheEntries ?? 1000 });
  }

  async enrich(channelName: string, config: EnrichmentConfig, input: EnrichmentInput): Promise<EnrichmentResult> {
    try {
      const request = buildLookupRequest(config, input);
      const key = cacheKey(channelName, request);
      const cached = this.cached(key);
      if (cached) return { outcome: 'cached', saved: copySaved(cached) };
      const saved = await this.shared(key, () => this.lookup(config, request, key));
      return { outcome: 'enriched', saved: copySaved(saved) };
    } catch (error) {
      return { outcome: 'failed', reason: safeReason(error, input.clientId, secretsOf(config)) };
    }
  }

  private cached(key: string): SavedValues | undefined {
    const entry = this.cache.get(key);
    if (entry && entry.expiresAt > this.now()) return entry.saved;
    if (entry) this.cache.delete(key);
    return undefined;
  }

  /** The first caller's lookup is the one every identical caller waits on until it settles. */
  private shared(key: string, lookup: () => Promise<SavedValues>): Promise<SavedValues> {
    const running = this.inFlight.get(key);
    if (running) return running;
    const started = lookup().finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, started);
    return started;
  }

  /** Throws `EnrichmentError` for every expected failure; only successes are cached. */
  private async lookup(config: EnrichmentConfig, request: LookupRequest, key: string): Promise<SavedValues> {
    const paths = this.compiledSavePaths(config);
    const response = await send(this.fetch, request, config.timeoutMs, paths.some((path) => path.read.readsBody));
    const saved = readSaved(paths, response);
    if (config.cacheSeconds > 0) this.cache.set(key, { saved, expiresAt: this.now() + config.cacheSeconds * 1_000 });
    return saved;
  }

  /** Paths are parsed once per configuration; unknown groups and bad paths are skipped (start-up reports them). */
  private compiledSavePaths(config: EnrichmentConfig): SavePath[] {
    let paths = this.savePaths.get(config);
    if (!paths) {
      paths = compileSavePaths(config).paths;
      this.savePaths.set(config, paths);
    }
    return paths;
  }
}

function isSaveGroup(group: string): group is SaveGroup {
  return (SAVE_GROUPS as readonly string[]).includes(group);
}

/**
 * The save paths that can be read, and a sentence for each that cannot: an unknown group (its paths
 * are still parsed, to report them too) or a path that does not parse. A lookup saves what it can.
 */
function compileSavePaths(config: EnrichmentConfig): { paths: SavePath[]; problems: string[] } {
  const paths: SavePath[] = [];
  const problems: string[] = [];
  for (const [group, names] of Object.entries(config.response.save)) {
    const known = isSaveGroup(group);
    if (!known) problems.push(`response.save.${group}: group must be ${SAVE_GROUPS.join(' or ')}`);
    for (const [name, expression] of Object.entries(names)) {
      try {
        const read = compileResponsePath(expression);
        if (known) paths.push({ group, name, read });
      } catch (error) {
        problems.push(`response.save.${group}.${name}: ${(error as Error).message}`);
      }
    }
  }
  return { paths, problems };
}

function buildLookupRequest(config: EnrichmentConfig, input: EnrichmentInput): LookupRequest {
  const { method, params = {} } = config.request;
  const url = parseUrl(substitutePlaceholders(config.request.url, input, encodeURIComponent));
  const values = Object.entries(params).map(([name, template]) => [name, substitutePlaceholders(template, input)] as const);
  if (method === 'GET') for (const [name, value] of values) url.searchParams.append(name, value);
  const headers = requestHeaders(config, input);
  if (method === 'POST') headers.set('content-type', 'application/json');
  const body = method === 'POST' ? JSON.stringify(Object.fromEntries(values)) : undefined;
  return { method, url: url.href, headers, body };
}

function parseUrl(text: string): URL {
  try {
    return new URL(text);
  } catch {
    throw new EnrichmentError('request.url is not a valid URL once filled in');
  }
}

/** Configured headers, then authentication, which wins over a configured `Authorization`. */
function requestHeaders(config: EnrichmentConfig, input: EnrichmentInput): Headers {
  const headers = new Headers();
  for (const [name, template] of Object.entries(config.request.headers ?? {})) {
    try {
      headers.set(name, substitutePlaceholders(template, input));
    } catch (error) {
      // Headers rejects a value with a line break; its own message would quote the value.
      throw error instanceof EnrichmentError ? error : new EnrichmentError(`request.headers.${name} is not a valid header once filled in`);
    }
  }
  const authorization = authorizationOf(config.request.authentication);
  if (authorization) headers.set('authorization', authorization);
  return headers;
}

function authorizationOf(authentication: EnrichmentConfig['request']['authentication']): string | undefined {
  if (!authentication) return undefined;
  if (authentication.type === 'bearer') return `Bearer ${authentication.token}`;
  return `Basic ${Buffer.from(`${authentication.username}:${authentication.password}`).toString('base64')}`;
}

/** Everything that makes two requests differ, hashed so that keys hold no phone number or secret. */
function cacheKey(channelName: string, request: LookupRequest): string {
  const parts = [channelName, request.method, request.url, request.body ?? '', ...request.headers];
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64url');
}

async function send(fetchFn: typeof fetch, request: LookupRequest, timeoutMs: number, needsJson: boolean): Promise<EnrichmentResponse> {
  let status: number;
  let headers: Record<string, string>;
  let text: string;
  try {
    const signal = AbortSignal.timeout(timeoutMs);
    const response = await fetchFn(request.url, { method: request.method, headers: request.headers, body: request.body, signal });
    ({ status } = response);
    headers = Object.fromEntries(response.headers);
    // Read even when unused: the connection goes back to the pool only once the body is consumed.
    text = await response.text();
  } catch (error) {
    throw new EnrichmentError(isTimeout(error) ? `no answer within ${timeoutMs} ms` : `CRM unreachable: ${networkCause(error)}`);
  }
  if (status < 200 || status > 299) throw new EnrichmentError(`CRM answered HTTP ${status}`);
  return { status, headers, body: needsJson ? parseJson(text) : undefined };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new EnrichmentError('the CRM answer is not JSON');
  }
}

function isTimeout(error: unknown): boolean {
  return error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
}

function readSaved(paths: readonly SavePath[], response: EnrichmentResponse): SavedValues {
  const saved: SavedValues = { CustomProperties: {}, UserData: {} };
  for (const { group, name, read } of paths) {
    const value = read(response);
    if (value !== undefined) saved[group][name] = value;
  }
  return saved;
}

/** Each caller gets its own copy: the cached one must not change when a caller adds to it. */
function copySaved(saved: SavedValues): SavedValues {
  return { CustomProperties: { ...saved.CustomProperties }, UserData: { ...saved.UserData } };
}

function secretsOf(config: EnrichmentConfig): string[] {
  const authentication = config.request.authentication;
  if (!authentication) return [];
  return authentication.type === 'bearer' ? [authentication.token] : [authentication.password];
}

/** Reasons go to logs and fault strings: the customer's number is masked and secrets are cut out. */
function safeReason(error: unknown, clientId: string, secrets: readonly string[]): string {
  let reason = error instanceof EnrichmentError ? error.message : `unexpected error: ${error instanceof Error ? error.message : String(error)}`;
  for (const secret of secrets) if (secret) reason = reason.replaceAll(secret, '***');
  for (const [form, masked] of writtenForms(clientId)) reason = reason.replaceAll(form, masked);
  return reason;
}

/** The ways a number shows up in a message, each with its masked twin: as given, URL-encoded, without `+`. */
function writtenForms(clientId: string): Array<[string, string]> {
  const digits = clientId.replace(/^\+/, '');
  const forms: Array<[string, string]> = [
    [clientId, maskIdentifier(clientId)],
    [encodeURIComponent(clientId), encodeURIComponent(maskIdentifier(clientId))],
    [digits, maskIdentifier(digits)],
  ];
  // Masking a very short id would garble unrelated words and numbers of the message.
  return forms.filter(([form]) => form.length > 4);
}
