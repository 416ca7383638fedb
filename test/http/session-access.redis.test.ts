import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestGateway, TENANT1_KEY, TENANT2_KEY, type TestGateway } from '../support/gateway.js';
import { jsonInvite } from '../support/invites.js';

/**
 * `GET` and `DELETE /sessions/:id` act only for the key of the session's own tenant: no key or an
 * unknown one is 401, another tenant's key is 404 (as for an unknown id), and neither changes the session.
 */
describe('who may see and end a session', () => {
  let gateway: TestGateway;
  let sessionId: string;

  beforeAll(async () => {
    gateway = await startTestGateway({ label: 'session-access' });
    const invite = await request(gateway.app!).post('/esp').set('X-Api-Key', TENANT1_KEY).send(jsonInvite({ parameters: { _umsClientId: '+15551239001' } }));
    expect(invite.status, invite.text).toBe(200);
    sessionId = invite.body.Request._umsChatSessionId as string;
    // Open and read: nothing moves it any more but a DELETE.
    await eventually(async () => ((await sessionOf(TENANT1_KEY)).body.delivery === 'read' ? true : undefined), 5_000, 'the session read');
  });
  afterAll(async () => gateway?.dispose());

  const sessionOf = (key: string) => request(gateway.app!).get(`/sessions/${sessionId}`).set('X-Api-Key', key);
  /** The session as Redis holds it: hash and history, whatever a DELETE would change. */
  const stored = async () => ({
    session: await gateway.redis.hgetall(`${gateway.prefix}:session:${sessionId}`),
    history: await gateway.redis.lrange(`${gateway.prefix}:session:${sessionId}:history`, 0, -1),
  });

  it("another tenant's key cannot end the session: 404 as for an unknown id, and the session stays open", async () => {
    const before = await stored();
    expect(before.session.state).toBe('open');
    const refused = await request(gateway.app!).delete(`/sessions/${sessionId}`).set('X-Api-Key', TENANT2_KEY);
    expect([refused.status, refused.body]).toEqual([404, { error: 'not found', code: 'not_found' }]);
    expect((await sessionOf(TENANT2_KEY)).status).toBe(404);
    expect(await stored()).toEqual(before);
    expect((await sessionOf(TENANT1_KEY)).body).toMatchObject({ state: 'open', terminate: false });
  });

  it.each([
    ['no key', {}],
    ['an unknown X-Api-Key', { 'X-Api-Key': 'not-a-key' }],
    ['an unknown bearer key', { Authorization: 'Bearer not-a-key' }],
  ])('%s: GET and DELETE are 401 and the session is untouched', async (_case, headers: Record<string, string>) => {
    const before = await stored();
    const view = await request(gateway.app!).get(`/sessions/${sessionId}`).set(headers);
    const ended = await request(gateway.app!).delete(`/sessions/${sessionId}`).set(headers);
    for (const answer of [view, ended]) {
      expect(answer.status).toBe(401);
      expect(answer.body).toEqual({ error: expect.stringMatching(/^(no API key|the API key is not known)/), code: 'unauthenticated' });
      expect(answer.text).not.toContain('+1555123');
    }
    expect(await stored()).toEqual(before);
  });

  it("the session's own tenant ends it", async () => {
    const ended = await request(gateway.app!).delete(`/sessions/${sessionId}`).set('X-Api-Key', TENANT1_KEY);
    expect(ended.status).toBe(200);
    expect(ended.body).toMatchObject({ sessionId, state: 'terminated' });
  });
});
