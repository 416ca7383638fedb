import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway, type Gateway } from '../../src/gateway.js';
import { eventually, gatewayOptions, startTestGateway, TENANT1_KEY, type TestGateway } from '../support/gateway.js';
import { jsonInvite } from '../support/invites.js';

describe('API and worker in separate processes (GATEWAY_ROLE=api / worker)', () => {
  let api: TestGateway;
  let worker: Gateway;

  beforeAll(async () => {
    api = await startTestGateway({ label: 'split', role: 'api' });
    worker = await createGateway(gatewayOptions({ redisPrefix: api.prefix, role: 'worker' }));
  });
  afterAll(async () => {
    await worker?.close();
    await api?.dispose();
  });

  it('the API role serves HTTP and delivers nothing; the worker role delivers what the API accepted', async () => {
    expect(api.worker).toBeUndefined();
    expect(worker.app).toBeUndefined();
    const response = await request(api.app!).post('/esp').set('Authorization', `Bearer ${TENANT1_KEY}`).send(jsonInvite());
    const sessionId = response.body.Request._umsChatSessionId as string;
    const delivered = await eventually(async () => {
      const session = await worker.store.get(sessionId);
      return session?.delivery === 'read' ? session : undefined;
    });
    expect(delivered).toMatchObject({ state: 'open', attempts: 1 });
  });
});
