import type { NextFunction, Request, Response } from 'express';
import type { GatewayConfig, TenantConfig } from '../config/schema.js';

/** Finds the tenant of the request's API key (`Authorization: Bearer <key>` or `X-Api-Key`). */
export class ApiKeys {
  private readonly tenantByKey = new Map<string, TenantConfig>();

  constructor(config: GatewayConfig) {
    for (const tenant of config.tenants) {
      for (const key of tenant.apiKeys) this.tenantByKey.set(key, tenant);
    }
  }

  tenantOf(request: Request): TenantConfig | undefined {
    const key = presentedKey(request);
    return key ? this.tenantByKey.get(key) : undefined;
  }
}

/**
 * Middleware of the routes scoped to the key's tenant: puts it in `response.locals.tenant`, or
 * lets `refuse` answer the 401 in the route's own body shape.
 */
export function requireTenant(apiKeys: ApiKeys, refuse: (response: Response) => void) {
  return (request: Request, response: Response, next: NextFunction): void => {
    const tenant = apiKeys.tenantOf(request);
    if (!tenant) return refuse(response);
    response.locals.tenant = tenant;
    next();
  };
}

function presentedKey(request: Request): string | undefined {
  const authorization = request.get('authorization');
  const bearer = authorization?.match(/^Bearer\s+(.+)$/i)?.[1]?.trim();
  return bearer || request.get('x-api-key')?.trim() || undefined;
}
