import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiDocument } from '../../src/http/openapi.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

/** `/sessions/:id` as the OpenAPI document writes it: `/sessions/{id}`. */
const openApiPath = (expressPath: string) => expressPath.replace(/:(\w+)/g, '{$1}');

describe('GET /openapi.json describes the routes the gateway serves', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startTestGateway({ label: 'openapi' });
  });
  afterAll(async () => {
    await gateway?.dispose();
  });

  it('every route and method served is documented, and every documented one is served', () => {
    const served = (gateway.app!.router.stack as Array<{ route?: { path: string; methods: Record<string, boolean> } }>)
      .flatMap((layer) => (layer.route ? Object.keys(layer.route.methods).map((method) => `${method.toUpperCase()} ${openApiPath(layer.route!.path)}`) : []))
      .sort();
    const documented = Object.entries(openApiDocument.paths)
      .flatMap(([path, item]) => Object.keys(item).filter((key) => ['get', 'post', 'put', 'delete', 'patch'].includes(key)).map((method) => `${method.toUpperCase()} ${path}`))
      .sort();
    expect(documented).toEqual([...new Set(served)]);
  });

  it('is a valid document whose error schema the served 401 and 404 bodies match', async () => {
    const ajv = new Ajv({ strict: false });
    addFormats.default(ajv);
    const validError = ajv.compile(openApiDocument.components.schemas.Error);
    const { body: document } = await request(gateway.app!).get('/openapi.json').expect(200);
    expect(document.openapi).toBe('3.1.0');
    for (const path of ['/sessions/0000000000000000', '/campaigns/x', '/suppressions/whatsapp-main']) {
      const refused = await request(gateway.app!).get(path);
      expect(refused.status).toBe(401);
      expect(validError(refused.body), JSON.stringify(refused.body)).toBe(true);
    }
    const unknown = await request(gateway.app!).get('/nowhere');
    expect([unknown.status, validError(unknown.body)]).toEqual([404, true]);
  });
});
