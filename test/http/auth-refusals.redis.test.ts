import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, TENANT1_KEY, type TestGateway } from '../support/gateway.js';
import { jsonInvite } from '../support/invites.js';
import { listKeys } from '../support/redis.js';

const NO_SCHEME = /^the Authorization header has no scheme: send Authorization: Bearer <key>/;

/** The 401 of every route names what is wrong with the header, never echoing the key sent. */
describe('401 answers say what is wrong with the Authorization header', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startTestGateway({ label: 'auth' });
  });
  afterAll(async () => gateway?.dispose());

  const postEsp = (authorization: string) =>
    request(gateway.app!).post('/esp').set('Content-Type', 'application/json').set('Authorization', authorization).send(JSON.stringify(jsonInvite()));

  it('POST /esp with the key alone (no Bearer): fault 1040 whose FaultString says the scheme is missing, and nothing stored', async () => {
    const before = await listKeys(gateway.redis, `${gateway.prefix}:session`);
    const response = await postEsp(TENANT1_KEY);
    expect(response.status).toBe(401);
    expect(response.body.Request.FaultCode).toBe(1040);
    expect(response.body.Request.FaultString).toMatch(NO_SCHEME);
    expect(response.text).not.toContain(TENANT1_KEY);
    expect(await listKeys(gateway.redis, `${gateway.prefix}:session`)).toEqual(before);
  });

  it('POST /esp: another scheme is named, Bearer without a key and an unknown key are told apart', async () => {
    expect((await postEsp(`Basic ${Buffer.from('a:b').toString('base64')}`)).body.Request.FaultString).toMatch(/^the Authorization scheme is Basic, not Bearer/);
    expect((await postEsp('Bearer')).body.Request.FaultString).toMatch(/no key after Bearer/);
    expect((await postEsp('Bearer not-a-key')).body.Request.FaultString).toBe('the API key is not known');
    const none = await request(gateway.app!).post('/esp').set('Content-Type', 'application/json').send(JSON.stringify(jsonInvite()));
    expect(none.body.Request.FaultString).toMatch(/^no API key/);
  });

  it('the JSON {error} of the other routes says the scheme is missing too', async () => {
    const app = request(gateway.app!);
    const answers = await Promise.all([
      app.get('/sessions/0000GaBNKN2Q0021').set('Authorization', TENANT1_KEY),
      app.get('/sessions/0000GaBNKN2Q0021/messages').set('Authorization', TENANT1_KEY),
      app.post('/channels/whatsapp-main/resume').set('Authorization', TENANT1_KEY),
    ]);
    for (const answer of answers) {
      expect(answer.status).toBe(401);
      expect(answer.body.error).toMatch(NO_SCHEME);
    }
    const campaign = await app.get('/campaigns/c1').set('Authorization', TENANT1_KEY);
    expect(campaign.status).toBe(401);
    expect(JSON.stringify(campaign.body)).toMatch(/the Authorization header has no scheme/);
  });
});
