import { copyFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jwtVerify } from 'jose';
import { signedHeaders } from '../../src/connectors/signature.js';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appleMspMessageProblems } from '../fixtures/apple-msp-message.js';
import { APPLE_BUSINESS_ID, eventually, SAMPLE_TEMPLATES_DIR, startTestGateway, TENANT1_KEY, testConfig, type TestGateway } from '../support/gateway.js';
import { jsonInvite } from '../support/invites.js';
import { startLoopbackServer, type LoopbackServer } from '../support/loopback.js';
import { scratchDirectory } from '../support/scratch.js';

const SECRET_BASE64 = Buffer.from('msp-shared-secret-of-32-bytes!!!').toString('base64');

interface Received {
  headers: Record<string, string | string[] | undefined>;
  jwtIssuer?: string;
  body: Record<string, any>;
}

/** The smallest PNG there is (1 x 1 pixel): what the image server hands out. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

describe('delivery through the Apple Messages for Business MSP connector', () => {
  const received: Received[] = [];
  const closedConversations = new Set<string>();
  let server: LoopbackServer;
  let gateway: TestGateway;

  const templatesDir = scratchDirectory('apple-templates');
  const imageRequests: string[] = [];
  let imageServer: LoopbackServer;
  let unreachableUrl: string;
  const rejected: string[] = [];

  beforeAll(async () => {
    // The MSP: checks the JWT with the shared secret, the routing headers against the body, every body
    // against Apple's published message shapes (test/fixtures/apple-msp-message.ts, 400 as Apple would),
    // and answers 404 for a conversation the customer closed.
    server = await startLoopbackServer(async (incoming, raw, response) => {
      const body = JSON.parse(raw.toString('utf8'));
      const token = String(incoming.headers.authorization ?? '').replace(/^Bearer /, '');
      const verified = await jwtVerify(token, Buffer.from(SECRET_BASE64, 'base64')).catch(() => undefined);
      if (incoming.url !== '/v1/message' || !verified) return void response.writeHead(401).end();
      if (incoming.headers['source-id'] !== body.sourceId || incoming.headers['destination-id'] !== body.destinationId || incoming.headers.id !== body.id) {
        return void response.writeHead(400).end('{"error":"headers do not match the body"}');
      }
      const problems = appleMspMessageProblems(body);
      if (problems) {
        rejected.push(problems);
        return void response.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: problems }));
      }
      received.push({ headers: incoming.headers, jwtIssuer: verified.payload.iss, body });
      if (closedConversations.has(body.destinationId)) return void response.writeHead(404).end();
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
    // Where rich link images live: a PNG, one too large for Apple, an HTML page.
    imageServer = await startLoopbackServer((incoming, _raw, response) => {
      imageRequests.push(incoming.url!);
      if (incoming.url!.startsWith('/img/')) return void response.writeHead(200, { 'content-type': 'image/png' }).end(PNG);
      if (incoming.url === '/big.png') return void response.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.alloc(250_000, 1));
      if (incoming.url === '/page.html') return void response.writeHead(200, { 'content-type': 'text/html' }).end('<html></html>');
      response.writeHead(404).end();
    });
    const closed = await startLoopbackServer(() => undefined);
    unreachableUrl = `${closed.url}/img/gone.png`;
    await closed.close();
    writeTemplates();
    const config = testConfig();
    config.tenants[0]!.channels[1]!.connector = { kind: 'apple-msp', baseUrl: server.url, mspId: 'msp-test', secret: SECRET_BASE64 };
    gateway = await startTestGateway({ label: 'applemsp', config, templatesDir });
  });

  /** The samples, plus rich links whose images the image server holds and a list picker with bubble styles. */
  function writeTemplates() {
    for (const file of readdirSync(SAMPLE_TEMPLATES_DIR)) copyFileSync(join(SAMPLE_TEMPLATES_DIR, file), join(templatesDir, file));
    const richLink = (image: Record<string, string>) => JSON.stringify({ contentType: 'richLink', url: 'https://shop.example.com/orders/<$CustomProperties.OrderId$>', title: 'Track your order', image });
    writeFileSync(join(templatesDir, 'link_fetched.json'), richLink({ url: `${imageServer.url}/img/<$CustomProperties.OrderId$>.png`, mimeType: 'image/png' }));
    writeFileSync(join(templatesDir, 'link_too_big.json'), richLink({ url: `${imageServer.url}/big.png`, mimeType: 'image/png' }));
    writeFileSync(join(templatesDir, 'link_not_image.json'), richLink({ url: `${imageServer.url}/page.html`, mimeType: 'image/png' }));
    writeFileSync(join(templatesDir, 'link_unreachable.json'), richLink({ url: unreachableUrl, mimeType: 'image/png' }));
    writeFileSync(join(templatesDir, 'link_inline.json'), richLink({ data: PNG.toString('base64'), mimeType: 'image/png' }));
    writeFileSync(
      join(templatesDir, 'picker_styled.json'),
      JSON.stringify({
        contentType: 'listPicker',
        title: 'Pick a slot',
        subtitle: 'Order <$CustomProperties.OrderId$>',
        sections: [{ title: 'Tomorrow', items: [{ identifier: 'am', title: 'Morning' }] }],
        receivedMessage: { title: 'Choose your slot', style: 'large' },
        replyMessage: { title: 'Slot chosen', style: 'small' },
      }),
    );
  }
  afterAll(async () => {
    await gateway?.dispose();
    await server?.close();
    await imageServer?.close();
  });

  async function inviteApple(clientId: string, standardResponseId = 'apple_list_picker', orderId = 'A-1042') {
    const body = jsonInvite({
      parameters: { _umsChannel: 'apple-main', _umsBusinessId: APPLE_BUSINESS_ID, _umsClientId: clientId, StandardResponseId: standardResponseId, CustomProperties: { OrderId: orderId } },
    });
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

  const sentTo = (clientId: string) => received.find((entry) => entry.body.destinationId === clientId)!.body;

  it("the list picker's subtitle is shown under the received bubble's title; the bubbles keep the template's styles", async () => {
    await (await inviteApple('urn:mbid:AQAAY-styled-1', 'picker_styled'))((session) => session.delivery === 'sent');
    expect(sentTo('urn:mbid:AQAAY-styled-1').interactiveData).toMatchObject({
      receivedMessage: { title: 'Choose your slot', subtitle: 'Order A-1042', style: 'large' },
      replyMessage: { title: 'Slot chosen', style: 'small' },
    });
    // A bubble subtitle of the template's own wins; no style given is Apple's default `icon`.
    expect(sentTo('urn:mbid:AQAAY-open-1').interactiveData.receivedMessage).toEqual({ title: 'Choose your delivery slot', subtitle: 'Hi Ana', style: 'icon' });
  });

  it("a rich link image given by URL (field codes rendered) is fetched and sent as Apple's {data, mimeType}, once per URL", async () => {
    await (await inviteApple('urn:mbid:AQAAY-link-1', 'link_fetched', 'P-7'))((session) => session.delivery === 'sent');
    await (await inviteApple('urn:mbid:AQAAY-link-2', 'link_fetched', 'P-7'))((session) => session.delivery === 'sent');
    for (const clientId of ['urn:mbid:AQAAY-link-1', 'urn:mbid:AQAAY-link-2']) {
      expect(sentTo(clientId).richLinkData).toEqual({ url: 'https://shop.example.com/orders/P-7', title: 'Track your order', assets: { image: { data: PNG.toString('base64'), mimeType: 'image/png' } } });
    }
    expect(imageRequests.filter((url) => url === '/img/P-7.png')).toHaveLength(1);
  });

  it("a rich link image given as data is sent as it is", async () => {
    await (await inviteApple('urn:mbid:AQAAY-inline-1', 'link_inline'))((session) => session.delivery === 'sent');
    expect(sentTo('urn:mbid:AQAAY-inline-1').richLinkData.assets).toEqual({ image: { data: PNG.toString('base64'), mimeType: 'image/png' } });
  });

  it('an image over 200 kB or a page that is no image fails the invite at once, saying why', async () => {
    const tooBig = await (await inviteApple('urn:mbid:AQAAY-big-1', 'link_too_big'))((session) => session.state === 'failed');
    expect(tooBig).toMatchObject({ attempts: 1, error: { code: 'template_rejected', message: expect.stringContaining('larger than 200000 bytes') } });
    const notImage = await (await inviteApple('urn:mbid:AQAAY-html-1', 'link_not_image'))((session) => session.state === 'failed');
    expect(notImage).toMatchObject({ attempts: 1, error: { code: 'template_rejected', message: expect.stringContaining('not an image (content type "text/html")') } });
    expect(received.some((entry) => ['urn:mbid:AQAAY-big-1', 'urn:mbid:AQAAY-html-1'].includes(entry.body.destinationId))).toBe(false);
  });

  it('an image server that cannot be reached is retried, then the invite fails as transient', async () => {
    const failed = await (await inviteApple('urn:mbid:AQAAY-gone-1', 'link_unreachable'))((session) => session.state === 'failed');
    expect(failed).toMatchObject({ attempts: 3, error: { code: 'transient', message: expect.stringContaining('rich link image at 127.0.0.1') } });
  });

  it('time pickers and quick replies pass the MSP as Apple documents them; no body was refused', async () => {
    await (await inviteApple('urn:mbid:AQAAY-time-1', 'apple_time_picker'))((session) => session.delivery === 'sent');
    await (await inviteApple('urn:mbid:AQAAY-quick-1', 'apple_quick_reply'))((session) => session.delivery === 'sent');
    expect(sentTo('urn:mbid:AQAAY-time-1').interactiveData.receivedMessage).toEqual({ title: 'Pick a time for your callback', style: 'icon' });
    expect(rejected).toEqual([]);
  });
});
