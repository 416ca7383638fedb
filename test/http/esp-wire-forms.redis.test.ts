import request from 'supertest';
import { parseStringPromise } from 'xml2js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invitesFor } from '../support/esp-examples.js';
import { startTestGateway, TENANT1_KEY, type TestGateway } from '../support/gateway.js';

describe('the three wire forms', () => {
  let gateway: TestGateway;

  beforeAll(async () => {
    gateway = await startTestGateway({ label: 'wire' });
  });
  afterAll(async () => gateway?.dispose());

  function post(contentType: string, body: string, path = '/esp') {
    return request(gateway.app!).post(path).set('Authorization', `Bearer ${TENANT1_KEY}`).set('Content-Type', contentType).send(body);
  }

  async function sessionIdOf(response: request.Response): Promise<string> {
    if (response.type === 'application/xml') {
      const xml = await parseStringPromise(response.text);
      return xml.Event3rdServerResponse.Request[0].kvitem[0].value[0].ValueString[0];
    }
    return response.body.Request._umsChatSessionId;
  }

  it('give the same session whatever the form', async () => {
    const sessions = [];
    for (const { form, contentType, body } of invitesFor('+15551230101')) {
      const response = await post(contentType, body);
      expect(response.status, `${form}: ${response.text}`).toBe(200);
      const sessionId = await sessionIdOf(response);
      const view = await request(gateway.app!).get(`/sessions/${sessionId}`).set('X-Api-Key', TENANT1_KEY);
      const { sessionId: _id, history: _history, state: _state, delivery: _delivery, attempts: _attempts, providerMessageId: _pid, lastOutboundAt: _sentAt, ...stable } = view.body;
      sessions.push({ form, stable });
    }
    for (const { form, stable } of sessions.slice(1)) expect(stable, form).toEqual(sessions[0]!.stable);
    expect(sessions[0]!.stable).toMatchObject({ channel: 'whatsapp-main', standardResponseId: 'order_ready', type: 'Outbound', userData: { StoreName: 'Main St' } });
  });

  it('render the same provider payload whatever the form (dry run)', async () => {
    const rendered = [];
    for (const { form, contentType, body } of invitesFor('+15551230102')) {
      const response = await post(contentType, body, '/esp?dryRun=true').set('Accept', 'application/json');
      expect(response.status, `${form}: ${response.text}`).toBe(200);
      expect(response.body.Request._umsDryRun).toBe('true');
      rendered.push(JSON.parse(response.body.Request.Rendered));
    }
    for (const payload of rendered.slice(1)) expect(payload).toEqual(rendered[0]);
    expect(rendered[0]).toMatchObject({
      messaging_product: 'whatsapp',
      to: '+15551230102',
      type: 'template',
      template: { name: 'order_ready', language: { code: 'en_US' } },
    });
    expect(JSON.stringify(rendered[0])).toContain('Main St');
  });

  it('answer XML in XML, with the ReferenceId echoed', async () => {
    const xmlForm = invitesFor('+15551230103')[1]!;
    const response = await post(xmlForm.contentType, xmlForm.body);
    expect(response.status).toBe(200);
    expect(response.type).toBe('application/xml');
    const reply = await parseStringPromise(response.text);
    expect(reply.Event3rdServerResponse.ReferenceId[0]).toBe('7');
    const item = reply.Event3rdServerResponse.Request[0].kvitem[0];
    expect(item.key[0]).toBe('_umsChatSessionId');
    expect(item.value[0].ValueString[0]).toMatch(/^[0-9A-Za-z]{16}$/);
  });

  it('answer an XML fault in XML with FaultCode as ValueInt', async () => {
    const response = await post('text/xml', '<Request3rdServer><ReferenceId>8</ReferenceId><Request></Request></Request3rdServer>');
    expect(response.type).toBe('application/xml');
    const reply = await parseStringPromise(response.text);
    const items = reply.Event3rdServerFault.Request[0].kvitem;
    expect(reply.Event3rdServerFault.ReferenceId[0]).toBe('8');
    expect(items[0].key[0]).toBe('FaultCode');
    expect(items[0].value[0].ValueInt[0]).toBe('1002');
    expect(items[1].key[0]).toBe('FaultString');
  });

  it('answer log text in JSON, and in XML when Accept asks for it', async () => {
    const tab = invitesFor('+15551230104')[2]!;
    const asJson = await post(tab.contentType, tab.body);
    expect(asJson.type).toBe('application/json');
    expect(asJson.body.ReferenceId).toBe(7);
    const asXml = await post(tab.contentType, invitesFor('+15551230105')[2]!.body).set('Accept', 'application/xml');
    expect(asXml.type).toBe('application/xml');
  });

  it('a value full of quotes, braces and field codes stays a plain string in the rendered JSON', async () => {
    const hostile = `"}]},{"type":"text","text":"<$Contact.LastName$>\\u0000 {{x}} <$ $> '\``;
    const body = JSON.parse(invitesFor('+15551230106')[0]!.body);
    body.Request.Parameters.CustomProperties.OrderId = hostile;
    const response = await post('application/json', JSON.stringify(body), '/esp?dryRun=true');
    expect(response.status, response.text).toBe(200);
    const rendered = JSON.parse(response.body.Request.Rendered);
    const bodyComponent = rendered.template.components.find((component: { type: string }) => component.type === 'body');
    expect(bodyComponent.parameters[0]).toEqual({ type: 'text', text: hostile });
    expect(bodyComponent.parameters).toHaveLength(2);
  });
});
