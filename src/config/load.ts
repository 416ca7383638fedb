import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { configSchema, type GatewayConfig, type TenantConfig } from './schema.js';

/** The sample configuration, used when `GATEWAY_CONFIG` is unset. */
export const SAMPLE_CONFIG_PATH = fileURLToPath(new URL('../../config/gateway.sample.json', import.meta.url));

/** A configuration that must not start the gateway; `problems` holds one sentence per wrong field. */
export class ConfigError extends Error {
  readonly code = 'CONFIG.INVALID';

  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`invalid configuration ${source}:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

export function loadConfigFile(path: string, env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const absolute = resolve(path);
  let text: string;
  try {
    text = readFileSync(absolute, 'utf8');
  } catch (error) {
    throw new ConfigError(absolute, [`cannot read the file: ${(error as Error).message}`]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(absolute, [`not valid JSON: ${(error as Error).message}`]);
  }
  return parseConfig(json, absolute, env);
}

/** Validates a parsed configuration, resolves `env:` secrets and checks what spans several fields. */
export function parseConfig(json: unknown, source = 'config', env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const parsed = configSchema.safeParse(json);
  if (!parsed.success) throw new ConfigError(source, parsed.error.issues.map(describeIssue));
  const problems: string[] = [];
  const config = resolveSecrets(parsed.data, env, problems) as GatewayConfig;
  problems.push(...crossFieldProblems(config));
  if (problems.length > 0) throw new ConfigError(source, problems);
  return config;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.length ? issue.path.map(String).join('.') : '(top level)';
  if (issue.code === 'unrecognized_keys') return `${path}: unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  return `${path}: ${issue.message}`;
}

/** Replaces every `env:NAME` string by the variable's value; a missing variable is a problem. */
function resolveSecrets(value: unknown, env: NodeJS.ProcessEnv, problems: string[], path = ''): unknown {
  if (typeof value === 'string' && value.startsWith('env:')) {
    const name = value.slice(4);
    const found = env[name];
    if (found === undefined || found === '') problems.push(`${path}: environment variable ${name} is not set`);
    return found ?? '';
  }
  if (Array.isArray(value)) return value.map((item, i) => resolveSecrets(item, env, problems, `${path}.${i}`));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, resolveSecrets(item, env, problems, path ? `${path}.${key}` : key)]),
    );
  }
  return value;
}

const CONNECTORS_BY_CHANNEL_TYPE: Record<string, string[]> = {
  whatsapp: ['whatsapp-cloud', 'sinch', 'webhook', 'sandbox'],
  apple: ['apple-msp', 'sinch', 'webhook', 'sandbox'],
  sms: ['sinch', 'webhook', 'sandbox'],
};

function crossFieldProblems(config: GatewayConfig): string[] {
  const problems: string[] = [];
  const tenantIds = new Set<number>();
  const apiKeys = new Set<string>();
  config.tenants.forEach((tenant, t) => {
    if (tenantIds.has(tenant.id)) problems.push(`tenants.${t}.id: tenant ${tenant.id} is defined twice`);
    tenantIds.add(tenant.id);
    tenant.apiKeys.forEach((key, k) => {
      if (apiKeys.has(key)) problems.push(`tenants.${t}.apiKeys.${k}: this API key is already used (each key belongs to one tenant)`);
      apiKeys.add(key);
    });
    problems.push(...channelProblems(tenant, `tenants.${t}`));
  });
  return problems;
}

/** A Sinch connector authenticates one way: a fixed `token`, or `keyId` + `keySecret` for OAuth2. */
function sinchCredentialProblems(connector: { token?: string; keyId?: string; keySecret?: string }, at: string): string[] {
  const hasKey = connector.keyId !== undefined || connector.keySecret !== undefined;
  if (connector.token !== undefined && hasKey) return [`${at}: give either token or keyId + keySecret, not both`];
  if (connector.token === undefined && !hasKey) return [`${at}: needs credentials: token, or keyId + keySecret (an access key for OAuth2)`];
  if (hasKey && connector.keyId === undefined) return [`${at}.keyId: is required with keySecret`];
  if (hasKey && connector.keySecret === undefined) return [`${at}.keySecret: is required with keyId`];
  return [];
}

function channelProblems(tenant: TenantConfig, at: string): string[] {
  const problems: string[] = [];
  const names = new Set<string>();
  tenant.channels.forEach((channel, c) => {
    const here = `${at}.channels.${c}`;
    if (names.has(channel.name)) problems.push(`${here}.name: channel "${channel.name}" is defined twice in tenant ${tenant.id}`);
    names.add(channel.name);
    if (new Set(channel.businessIds).size !== channel.businessIds.length) problems.push(`${here}.businessIds: a business id is listed twice`);
    const allowed = CONNECTORS_BY_CHANNEL_TYPE[channel.type] ?? [];
    if (!allowed.includes(channel.connector.kind)) {
      problems.push(`${here}.connector.kind: "${channel.connector.kind}" cannot send on ${channel.type} channels (use ${allowed.join(', ')})`);
    }
    const routeTenant = Number(channel.inboundRouteByCall.split(':')[0]);
    if (routeTenant !== tenant.id) problems.push(`${here}.inboundRouteByCall: the chat queue belongs to tenant ${routeTenant}, not to tenant ${tenant.id}`);
    const connector = channel.connector;
    if (connector.kind === 'sinch') problems.push(...sinchCredentialProblems(connector, `${here}.connector`));
    if (connector.kind === 'whatsapp-cloud' && typeof connector.phoneNumberId === 'object') {
      for (const businessId of channel.businessIds) {
        if (!Object.hasOwn(connector.phoneNumberId, businessId)) problems.push(`${here}.connector.phoneNumberId: no phone-number id for business id ${businessId}`);
      }
    } else if (connector.kind === 'whatsapp-cloud' && channel.businessIds.length > 1) {
      problems.push(`${here}.connector.phoneNumberId: the channel has several business ids, so give an object from business id to phone-number id`);
    }
  });
  return problems;
}
