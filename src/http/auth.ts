import type { NextFunction, Request, Response } from 'express';
import type { GatewayConfig, TenantConfig } from '../config/schema.js';
import { sendHttpError, unauthenticated } from './errors.js';

/** The tenant of a request's API key, or the sentence a 401 answers with. */
export type Identification = { tenant: TenantConfig; refusal?: undefined } | { tenant?: undefined; refusal: string };

export const NO_API_KEY = 'no API key: send Authorization: Bearer <key> or X-Api-Key';
export const UNKNOWN_API_KEY = 'the API key is not known';
/** A scheme short and plain enough to name in the answer without echoing a key sent in its place. */
const NAMEABLE_SCHEME = /^[A-Za-z][A-Za-z0-9-]{0,19}$/;

/** Finds the tenant of the request's API key (`Authorization: Bearer <key>` or `X-Api-Key`). */
export class ApiKeys {
  private readonly tenantByKey = new Map<string, TenantConfig>();

  constructor(config: GatewayConfig) {
    for (const tenant of config.tenants) {
      for (const key of tenant.apiKeys) this.tenantByKey.set(key, tenant);
    }
  }

  /**
   * The tenant, or why there is none. A header that is not `Bearer <key>` is named as such (the
   * most common mistake is the key alone, `Authorization: demo-key-tenant1`), never echoed.
   */
  identify(request: Request): Identification {
    const apiKeyHeader = request.get('x-api-key')?.trim() || undefined;
    const authorization = request.get('authorization')?.trim() || undefined;
    const bearer = authorization?.match(/^Bearer\s+(.+)$/i)?.[1]?.trim();
    // The bearer form wins when both are sent.
    const key = bearer || apiKeyHeader;
    if (key) {
      const tenant = this.tenantByKey.get(key);
      return tenant ? { tenant } : { refusal: UNKNOWN_API_KEY };
    }
    return { refusal: authorization === undefined ? NO_API_KEY : authorizationProblem(authorization) };
  }
}

function authorizationProblem(authorization: string): string {
  const [scheme, ...rest] = authorization.split(/\s+/);
  if (rest.length === 0) {
    return /^Bearer$/i.test(authorization)
      ? 'the Authorization header has no key after Bearer: send Authorization: Bearer <key>'
      : 'the Authorization header has no scheme: send Authorization: Bearer <key> (the word Bearer, a space, then the key)';
  }
  const named = scheme && NAMEABLE_SCHEME.test(scheme) ? `is ${scheme}, not Bearer` : 'is not Bearer';
  return `the Authorization scheme ${named}: send Authorization: Bearer <key>`;
}

/**
 * Middleware of the routes scoped to the key's tenant: puts it in `response.locals.tenant`, or
 * answers 401 naming what was wrong with the credentials (one shape on every non-ESP route).
 */
export function requireTenant(apiKeys: ApiKeys) {
  return (request: Request, response: Response, next: NextFunction): void => {
    const identified = apiKeys.identify(request);
    if (!identified.tenant) return sendHttpError(response, unauthenticated(identified.refusal));
    response.locals.tenant = identified.tenant;
    next();
  };
}
