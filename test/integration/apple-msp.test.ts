import { jwtVerify } from 'jose';
import { signedHeaders } from '../../src/connectors/signature.js';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPLE_BUSINESS_ID, eventually, startTestGateway, TENANT1_KEY, testConfig, type TestGateway } from '../support/gateway.js';
import { jsonInvite } from '../support/invites.js';
import { startLoopbackServer, type LoopbackServer } from '../support/loopback.js';

const SECRET_BASE64 = Buffer.from('msp-shared-secret-of-32-bytes!!!').toString('base64');

interface Received {
  headers: Record<string, string | string[] | undefined>;
  jwtIssuer?: string;
  body: Record<string, any>;
}

describe('delivery through the Apple Messages for Business MSP connector', () => {
  const received: Received[] = [];
  const closedConversations = new Set<string>();
  let server: LoopbackServer;
  let gateway: TestGateway;

  beforeAll(async () => {
    // The MSP: checks the JWT with the shared secret, the routing headers against the body, and
    // answers 404 for a conversation the customer closed.
    server = await startLoopbackServer(async (incoming, raw, response) => {
      const body = JSON.parse(raw.toString('utf8'));
      const token = String(incoming.headers.authorization ?? '').replace(/^Bearer /, '');
      const verified = await jwtVerify(token, Buffer.from(SECRET_BASE64, 'base64')).catch(() => undefined);
      if (incoming.url !== '/v1/message' || !verified) return void response.writeHead(401).end();
      if (incoming.headers['source-id'] !== body.sourceId || incoming.headers['destination-id'] !== body.destinationId || incoming.headers.id !== body.id) {
        return void response.writeHead(400).end('{"error":"headers do not match the body"}');
      }
      received.push({ headers: incoming.headers, jwtIssuer: verified.payload.iss, body });
      if (closedConversations.has(body.destinationId)) return void response.writeHead(404).end();
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
    const config = testConfig();
    config.tenants[0]!.channels[1]!.connector = { kind: 'apple-msp', baseUrl: server.url, mspId: 'msp-test', secret: SECRET_BASE64 };
    gateway = await startTestGateway({ label: 'applemsp', config });
  });
  afterAll(async () => {
    await gateway?.dispose();
    await server?.close();
  });

  async function inviteApple(clientId: string) {
    const body = jsonInvite({ parameters: { _umsChannel: 'apple-main', _umsBusinessId: APPLE_BUSINESS_ID, _umsClientId: clientId, StandardResponseId: 'apple_list_picker' } });
    const response = await request(gateway.app!).post('/esp').set('Authorization', `Bearer ${TENANT1_KEY}`).send(body);
    expect(response.status, response.text).toBe(200);
    const sessionId = response.body.Request._umsChatSessionId as string;
    return (predicate: (session: Record<string, any>) => boolean) =>
      eventually(async () => {
        const { body: session } = await request(gateway.app!).get(`/sessions/${sessionId}`).set('X-Api-Key', TENANT1_KEY);
        return predicate(session) ? session : undefined;
      }, 8_000);
  }

  it('sends the interactive list picker with a signed JWT and the routing headers', async () => {
    const sent = await (await inviteApple('urn:mbid:AQAAY-open-1'))((session) => session.delivery === 'sent');
    const message = received.find((entry) => entry.body.destinationId === 'urn:mbid:AQAAY-open-1')!;
    expect(message.jwtIssuer).toBe('msp-test');
    expect(message.headers['source-id']).toBe(APPLE_BUSINESS_ID);
    expect(message.body).toMatchObject({ v: 1, type: 'interactive', interactiveData: { data: { listPicker: { sections: [{ title: 'Tomorrow' }] } } } });
    expect(sent.providerMessageId).toBe(message.body.id);
  });

  it('a conversation the customer closed fails the invite at once as undeliverable', async () => {
    closedConversations.add('urn:mbid:AQAAY-closed-1');
    const failed = await (await inviteApple('urn:mbid:AQAAY-closed-1'))((session) => session.state === 'failed');
    expect(failed).toMatchObject({ attempts: 1, error: { code: 'undeliverable' } });
  });

  it('signed reports on /webhooks/apple move delivery forward; a forged one is 401', async () => {
    const sent = await (await inviteApple('urn:mbid:AQAAY-open-2'))((session) => session.delivery === 'sent');
    const report = JSON.stringify({ id: sent.providerMessageId, status: 'read', destinationId: 'urn:mbid:AQAAY-open-2' });
    const post = (secret: string) =>
      request(gateway.app!).post('/webhooks/apple').set('Content-Type', 'application/json').set(signedHeaders(report, secret)).send(report);
    expect((await post('forged')).status).toBe(401);
    expect((await post(SECRET_BASE64)).status).toBe(200);
    const { body } = await request(gateway.app!).get(`/sessions/${sent.sessionId}`).set('X-Api-Key', TENANT1_KEY);
    expect(body.delivery).toBe('read');
  });
});
