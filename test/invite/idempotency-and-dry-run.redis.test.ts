import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, SAMPLE_TEMPLATES_DIR, startTestGateway, TENANT1_KEY, TENANT2_KEY, type TestGateway } from '../support/gateway.js';
import { jsonInvite } from '../support/invites.js';
import { scratchDirectory } from '../support/scratch.js';

/** The sample templates and one that shows the session's id and creation time, which a dry run fixes. */
function templatesWithCreationDate(): string {
  const directory = join(scratchDirectory('idem-templates'), 'templates');
  cpSync(SAMPLE_TEMPLATES_DIR, directory, { recursive: true });
  const template = {
    contentType: 'notification',
    id: 'b7d1c0de@request_received',
    language: 'en_US',
    body: [
      { type: 'text', text: '<$Interaction.Id$>' },
      { type: 'text', text: '<$Interaction.DateCreated$>' },
    ],
  };
  writeFileSync(join(directory, 'request_received.json'), JSON.stringify(template));
  return directory;
}

describe('idempotency and dry run', () => {
  let gateway: TestGateway;
  const templatesDir = templatesWithCreationDate();

  beforeAll(async () => {
    gateway = await startTestGateway({ label: 'idem', templatesDir });
  });
  afterAll(async () => gateway?.dispose());

  const post = (body: unknown, headers: Record<string, string> = {}, key = TENANT1_KEY, path = '/esp') => {
    let call = request(gateway.app!).post(path).set('Authorization', `Bearer ${key}`);
    for (const [name, value] of Object.entries(headers)) call = call.set(name, value);
    return call.send(body as object);
  };

  async function sendCount(clientId: string): Promise<number> {
    const keys = await gateway.redis.keys(`${gateway.prefix}:session:*`);
    let count = 0;
    // The session hashes, not their history, transcript or events.
    for (const key of keys.filter((k) => /:session:\w+$/.test(k))) {
      if ((await gateway.redis.hget(key, 'clientId')) === clientId) count++;
    }
    return count;
  }

  it('a replay with the same Idempotency-Key answers the first session id and sends nothing again', async () => {
    const body = jsonInvite({ parameters: { _umsClientId: '+15551230201' } });
    const first = await post(body, { 'Idempotency-Key': 'call-8812' });
    // ReferenceId is not part of the request's identity: clients recycle it.
    const replay = await post({ ...body, ReferenceId: 99 }, { 'Idempotency-Key': 'call-8812' });
    expect(first.status).toBe(200);
    expect(replay.status).toBe(200);
    expect(replay.body.ReferenceId).toBe(99);
    expect(replay.body.Request._umsChatSessionId).toBe(first.body.Request._umsChatSessionId);
    expect(await sendCount('+15551230201')).toBe(1);
  });

  it('UserData.IdempotencyKey works like the header', async () => {
    const body = jsonInvite({ parameters: { _umsClientId: '+15551230202' }, userData: { IdempotencyKey: 'ivr-call-42' } });
    const first = await post(body);
    const replay = await post(body);
    expect(replay.body.Request._umsChatSessionId).toBe(first.body.Request._umsChatSessionId);
    expect(await sendCount('+15551230202')).toBe(1);
  });

  it('concurrent replays of one key create exactly one session', async () => {
    const body = jsonInvite({ parameters: { _umsClientId: '+15551230203' } });
    const replies = await Promise.all(Array.from({ length: 20 }, () => post(body, { 'Idempotency-Key': 'burst-1' })));
    const ids = new Set(replies.map((reply) => reply.body.Request._umsChatSessionId));
    expect(ids.size).toBe(1);
    expect(await sendCount('+15551230203')).toBe(1);
  });

  it('an integer and the same digits as text are the same request: the replay answers the first session, not 1030', async () => {
    // ValueInt 171 and "171" are one parameter value (docs/protocol.md#idempotency): XML and log forms carry no JSON types.
    const withOrder = (order: number | string, agent: number | string) =>
      jsonInvite({ parameters: { _umsClientId: '+15551230209', CustomProperties: { OrderId: order, Track: 'A1042' } }, userData: { LastCalledAgent_EmployeeID: agent } });
    const first = await post(withOrder(171, '7102'), { 'Idempotency-Key': 'typed-171' });
    const replay = await post(withOrder('171', 7102), { 'Idempotency-Key': 'typed-171' });
    expect(first.status, first.text).toBe(200);
    expect([replay.status, replay.body.Request._umsChatSessionId]).toEqual([200, first.body.Request._umsChatSessionId]);
    expect(await sendCount('+15551230209')).toBe(1);
    // A different value under the key is still another request.
    expect((await post(withOrder(172, 7102), { 'Idempotency-Key': 'typed-171' })).body.Request.FaultCode).toBe(1030);
  });

  it('keys are scoped per tenant', async () => {
    const t1 = await post(jsonInvite({ parameters: { _umsClientId: '+15551230204' } }), { 'Idempotency-Key': 'shared-key' });
    const t2 = await post(
      jsonInvite({ parameters: { _umsChannel: 'whatsapp-t2', _umsClientId: '+15551230204', _umsBusinessId: '+15550002222' } }),
      { 'Idempotency-Key': 'shared-key' },
      TENANT2_KEY,
    );
    expect(t2.status).toBe(200);
    expect(t2.body.Request._umsChatSessionId).not.toBe(t1.body.Request._umsChatSessionId);
  });

  it('faults are not remembered: a fixed request with the same key goes through', async () => {
    const broken = await post(jsonInvite({ parameters: { _umsClientId: '+15551230205', StandardResponseId: 'nope' } }), { 'Idempotency-Key': 'fix-me' });
    expect(broken.body.Request.FaultCode).toBe(1020);
    const fixed = await post(jsonInvite({ parameters: { _umsClientId: '+15551230205' } }), { 'Idempotency-Key': 'fix-me' });
    expect(fixed.status).toBe(200);
  });

  it('a dry run validates and renders, stores nothing and gives no session id', async () => {
    // Sessions (hash and history), idempotency keys and delivery jobs: what an invite stores. (Other
    // keys move with the worker finishing earlier invites: their events, for one.)
    const storedThings = async () =>
      (await gateway.redis.keys(`${gateway.prefix}:*`))
        .map((key) => key.slice(gateway.prefix.length))
        .filter((key) => /^:session:\w+(:history)?$|^:idem:|^:bull:invite-delivery:[0-9A-Za-z]{16}$/.test(key))
        .sort();
    const before = await storedThings();
    const response = await post(jsonInvite({ parameters: { _umsClientId: '+15551230206' } }), { 'X-Dry-Run': 'true', 'Idempotency-Key': 'dry' });
    expect(response.status).toBe(200);
    expect(response.body.Request._umsChatSessionId).toBeUndefined();
    expect(response.body.Request._umsDryRun).toBe('true');
    expect(typeof response.body.Request.Rendered).toBe('string');
    expect(await storedThings()).toEqual(before);
  });

  it('a dry run renders Interaction.Id and DateCreated as fixed values so renders compare across runs', async () => {
    const body = jsonInvite({ parameters: { _umsClientId: '+15551230207', StandardResponseId: 'appointment_reminder', CustomProperties: {} } });
    const first = await post(body, {}, TENANT1_KEY, '/esp?dryRun=true');
    const second = await post(body, {}, TENANT1_KEY, '/esp?dryRun=true');
    expect(first.body.Request.Rendered).toBe(second.body.Request.Rendered);
  });

  it('a dry run renders Interaction.DateCreated as the fixed date 1970-01-01T00:00:00Z and Interaction.Id as 0000000000000000', async () => {
    const body = jsonInvite({ parameters: { _umsClientId: '+15551230210', StandardResponseId: 'request_received' } });
    const dry = await post(body, {}, TENANT1_KEY, '/esp?dryRun=true');
    expect(dry.status, dry.text).toBe(200);
    const rendered = JSON.parse(dry.body.Request.Rendered as string);
    expect(rendered.template.components).toEqual([{ type: 'body', parameters: [{ type: 'text', text: '0000000000000000' }, { type: 'text', text: '1970-01-01T00:00:00Z' }] }]);
  });

  it('a dry run still answers faults', async () => {
    const response = await post(jsonInvite({ parameters: { _umsClientId: 'abc' } }), {}, TENANT1_KEY, '/esp?dryRun=true');
    expect(response.body.Request.FaultCode).toBe(1011);
  });

  it('the replayed session is the one delivered', async () => {
    const body = jsonInvite({ parameters: { _umsClientId: '+15551230208' } });
    const first = await post(body, { 'Idempotency-Key': 'deliver-once' });
    const sessionId = first.body.Request._umsChatSessionId;
    await eventually(async () => {
      const { body: view } = await request(gateway.app!).get(`/sessions/${sessionId}`).set('X-Api-Key', TENANT1_KEY);
      return view.delivery === 'read' ? view : undefined;
    });
    const replay = await post(body, { 'Idempotency-Key': 'deliver-once' });
    expect(replay.body.Request._umsChatSessionId).toBe(sessionId);
    expect(await sendCount('+15551230208')).toBe(1);
  });
});
