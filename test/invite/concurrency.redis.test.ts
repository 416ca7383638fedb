import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, TENANT1_KEY, type TestGateway } from '../support/gateway.js';
import { jsonInvite } from '../support/invites.js';

describe('under concurrent load', () => {
  let gateway: TestGateway;
  let server: Server;
  let baseUrl: string;

  beforeAll(async () => {
    gateway = await startTestGateway({ label: 'concurrency', role: 'api' });
    server = await new Promise<Server>((resolve) => {
      const listening = gateway.app!.listen(0, '127.0.0.1', () => resolve(listening));
    });
    const address = server.address();
    baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await gateway?.dispose();
  });

  it('1,000 concurrent invites give 1,000 distinct session ids, each stored with its job', async () => {
    const replies = await Promise.all(
      Array.from({ length: 1_000 }, async (_, i) => {
        const body = jsonInvite({ referenceId: i, parameters: { _umsClientId: `+1555${String(2_000_000 + i)}` } });
        const response = await fetch(`${baseUrl}/esp`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${TENANT1_KEY}` },
          body: JSON.stringify(body),
        });
        const reply = (await response.json()) as { ReferenceId: number; Request: { _umsChatSessionId: string } };
        expect(response.status).toBe(200);
        expect(reply.ReferenceId).toBe(i);
        return reply.Request._umsChatSessionId;
      }),
    );
    expect(new Set(replies).size).toBe(1_000);
    const pipeline = gateway.redis.pipeline();
    for (const id of replies) pipeline.exists(`${gateway.prefix}:session:${id}`, `${gateway.prefix}:bull:invite-delivery:${id}`);
    const counts = (await pipeline.exec())!.map(([, count]) => count);
    expect(counts.every((count) => count === 2)).toBe(true);
  });
});
