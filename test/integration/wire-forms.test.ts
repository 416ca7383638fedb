import request from 'supertest';
import { parseStringPromise } from 'xml2js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, TENANT1_KEY, type TestGateway } from '../support/gateway.js';

/** The same invite in the four wire forms of domain.md 2.1 (client id varied by the caller). */
function invitesFor(clientId: string) {
  const json = JSON.stringify({
    ReferenceId: 7,
    Request: {
      AppName: 'IVR_Main',
      Service: 'ChatService',
      Method: 'InviteToChat',
      Parameters: {
        _umsChannel: 'whatsapp-main',
        _umsClientId: clientId,
        _umsBusinessId: '+15550001111',
        StandardResponseId: 'order_ready',
        Contact: { FirstName: 'Ana', LastName: 'Silva' },
        CustomProperties: { OrderId: 'A-1042', Track: 'A1042' },
      },
    },
    UserData: { GCTI_Chat_SubmitAsOutbound: 'true', LastCalledAgent_EmployeeID: 'ag7102', StoreName: 'Main St' },
  });

  const kv = (key: string, value: string) => `<kvitem><key>${key}</key><value><ValueString>${value}</ValueString></value></kvitem>`;
  const list = (key: string, items: string) => `<kvitem><key>${key}</key><value><ValueList>${items}</ValueList></value></kvitem>`;
  const xml =
    '<?xml version="1.0" encoding="UTF-8"?><Request3rdServer><ReferenceId>7</ReferenceId><Request>' +
    kv('AppName', 'IVR_Main') + kv('Service', 'ChatService') + kv('Method', 'InviteToChat') +
    list('Parameters',
      kv('_umsChannel', 'whatsapp-main') + kv('_umsClientId', clientId) + kv('_umsBusinessId', '+15550001111') +
      kv('StandardResponseId', 'order_ready') + list('Contact', kv('FirstName', 'Ana') + kv('LastName', 'Silva')) +
      list('CustomProperties', kv('OrderId', 'A-1042') + kv('Track', 'A1042'))) +
    '</Request><UserData>' + kv('GCTI_Chat_SubmitAsOutbound', 'true') + kv('LastCalledAgent_EmployeeID', 'ag7102') + kv('StoreName', 'Main St') +
    '</UserData></Request3rdServer>';

  const tabLog = [
    "12:00:01.123 Trc 04541 Message Request3rdServer sent to 'DMS_01'",
    '\tAttributeReferenceID\t7',
    '\tAttributeRequest\t[212] 00 05 00 00..',
    "\t\t'AppName'\t'IVR_Main'",
    "\t\t'Service'\t'ChatService'",
    "\t\t'Method'\t'InviteToChat'",
    "\t\t'Parameters'(list)\t'_umsChannel'\t'whatsapp-main'",
    `\t\t\t'_umsClientId'\t'${clientId}'`,
    "\t\t\t'_umsBusinessId'\t'+15550001111'",
    "\t\t\t'StandardResponseId'\t'order_ready'",
    "\t\t\t'Contact'(list)\t'FirstName'\t'Ana'",
    "\t\t\t\t'LastName'\t'Silva'",
    "\t\t\t'{l}CustomProperties'(list)\t'OrderId'\t'A-1042'",
    "\t\t\t\t'Track'\t'A1042'",
    '\tAttributeUserData\t[61] 00 02 00 00..',
    "\t\t'GCTI_Chat_SubmitAsOutbound'\t'true'",
    "\t\t'LastCalledAgent_EmployeeID'\t'ag7102'",
    "\t\t'StoreName'\t'Main St'",
  ].join('\n');

  const typedLog = [
    "12:00:01.123 Sending to 'DMS_01': 'Request3rdServer' (",
    '\tattr_ref_id [int] = 7',
    "\t'Request' [list] =",
    "\t\t'AppName' [str] = \"IVR_Main\"",
    "\t\t'Service' [str] = \"ChatService\"",
    "\t\t'Method' [str] = \"InviteToChat\"",
    "\t\t'Parameters' [list] =",
    "\t\t\t'_umsChannel' [str] = \"whatsapp-main\"",
    `\t\t\t'_umsClientId' [str] = "${clientId}"`,
    "\t\t\t'_umsBusinessId' [str] = \"+15550001111\"",
    "\t\t\t'StandardResponseId' [str] = \"order_ready\"",
    "\t\t\t'Contact' [list] =",
    "\t\t\t\t'FirstName' [str] = \"Ana\"",
    "\t\t\t\t'LastName' [str] = \"Silva\"",
    "\t\t\t'CustomProperties' [list] =",
    "\t\t\t\t'OrderId' [str] = \"A-1042\"",
    "\t\t\t\t'Track' [str] = \"A1042\"",
    "\t'UserData' [list] =",
    "\t\t'GCTI_Chat_SubmitAsOutbound' [str] = \"true\"",
    "\t\t'LastCalledAgent_EmployeeID' [str] = \"ag7102\"",
    "\t\t'StoreName' [str] = \"Main St\"",
    ')',
  ].join('\n');

  return [
    { form: 'json', contentType: 'application/json', body: json },
    { form: 'xml', contentType: 'application/xml', body: xml },
    { form: 'tab log', contentType: 'text/plain', body: tabLog },
    { form: 'typed log', contentType: 'text/plain', body: typedLog },
  ];
}

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
      const { sessionId: _id, history: _history, state: _state, delivery: _delivery, attempts: _attempts, providerMessageId: _pid, ...stable } = view.body;
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
