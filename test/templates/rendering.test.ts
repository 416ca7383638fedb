import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cloneKvList, newKvList } from '../../src/esp/kvlist.js';
import { loadStandardResponses, TemplateCatalogError, type StandardResponse } from '../../src/templates/catalog.js';
import { renderFieldCodes } from '../../src/templates/field-codes.js';
import { renderAgentText, renderStandardResponse } from '../../src/templates/render.js';
import type { RenderContext } from '../../src/templates/types.js';
import { faultOf } from '../support/faults.js';
import { SAMPLE_TEMPLATES_DIR } from '../support/gateway.js';
import { scratchDirectory } from '../support/scratch.js';

const catalog = loadStandardResponses(SAMPLE_TEMPLATES_DIR);

function context(overrides: Partial<RenderContext> = {}): RenderContext {
  return {
    channelType: 'whatsapp',
    clientId: '+15551230001',
    businessId: '+15550001111',
    sessionId: '0000GaBNKN2Q0021',
    createdAt: '2026-11-23T12:00:01.123Z',
    contact: cloneKvList({ FirstName: 'Ana', LastName: 'Silva' }),
    agent: cloneKvList({ FirstName: 'Rui' }),
    customProperties: cloneKvList({ OrderId: 'A-1042', Track: 'A1042', CaseId: 'C-7' }),
    attachedData: cloneKvList({ StoreName: 'Main St', 'Store.Name with space': 'Dock 4' }),
    allowFreeText: false,
    ...overrides,
  };
}

function render(id: string, overrides: Partial<RenderContext> = {}) {
  return renderStandardResponse(catalog.get(id) as StandardResponse, context(overrides));
}

describe('standard responses', () => {
  it('the sample templates directory loads, one of each kind', () => {
    expect(catalog.ids()).toEqual(
      expect.arrayContaining(['order_ready', 'appointment_reminder', 'callback_offer', 'welcome_text', 'apple_list_picker', 'apple_time_picker', 'apple_rich_link', 'apple_quick_reply']),
    );
  });

  it('a WhatsApp notification renders to the Cloud API template body', () => {
    expect(render('order_ready').bodies).toEqual([
      {
        messaging_product: 'whatsapp',
        recipient_type: 'individual',
        to: '+15551230001',
        type: 'template',
        template: {
          name: 'order_ready',
          language: { policy: 'deterministic', code: 'en_US' },
          components: [
            { type: 'header', parameters: [{ type: 'text', text: 'Ana' }] },
            { type: 'body', parameters: [{ type: 'text', text: 'A-1042' }, { type: 'text', text: 'Main St' }] },
            { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: 'A1042' }] },
          ],
        },
      },
    ]);
  });

  it('when a field code has no value, its default fills it', () => {
    const body = render('order_ready', { contact: newKvList() }).bodies[0] as { template: { components: Array<{ parameters: Array<{ text: string }> }> } };
    expect(body.template.components[0]!.parameters[0]!.text).toBe('there');
  });

  it('when a field code has no value and no default, then fault 1021 names it', () => {
    const problem = faultOf(() => render('order_ready', { customProperties: cloneKvList({ Track: 'x' }) }));
    expect([problem.faultCode, problem.message]).toEqual([1021, 'field code <$CustomProperties.OrderId$> has no value']);
  });

  it('Contact.FullName is first and last name when not given; PrimaryPhoneNumber is the client id on phone channels', () => {
    expect(renderFieldCodes('<$Contact.FullName$> / <$Contact.PrimaryPhoneNumber$>', context())).toBe('Ana Silva / +15551230001');
  });

  it('AttachedData takes double or single quotes and keys with dots and spaces', () => {
    expect(renderFieldCodes(`<$Interaction.AttachedData("StoreName")$>|<$Interaction.AttachedData('Store.Name with space')$>`, context())).toBe('Main St|Dock 4');
  });

  it('Interaction fields: Id, DateCreated, ToAddress, FromAddress', () => {
    expect(renderFieldCodes('<$Interaction.Id$> <$Interaction.DateCreated$> <$Interaction.ToAddress$> <$Interaction.FromAddress$>', context())).toBe(
      '0000GaBNKN2Q0021 2026-11-23T12:00:01.123Z +15551230001 +15550001111',
    );
  });

  it.each(['Contact.constructor', 'Contact.__proto__', 'CustomProperties.toString', 'Agent.hasOwnProperty', 'Foo.Bar'])(
    'the name %s never resolves to an inherited property: fault 1021',
    (name) => {
      expect(faultOf(() => renderFieldCodes(`<$${name}$>`, context())).message).toBe(`field code <$${name}$> has no value`);
    },
  );

  it('a value full of quotes, braces and field codes stays a plain string and is not rendered again', () => {
    const hostile = `"}], "x": {"y": 1}, <$Contact.LastName$> {{z}} <$ $> \\ '`;
    const body = render('order_ready', { customProperties: cloneKvList({ OrderId: hostile, Track: 't' }) }).bodies[0];
    const parsed = JSON.parse(JSON.stringify(body));
    expect(parsed.template.components[1].parameters[0]).toEqual({ type: 'text', text: hostile });
    expect(Object.keys(parsed)).toEqual(['messaging_product', 'recipient_type', 'to', 'type', 'template']);
  });

  it.each([
    ['a newline', 'A-1\n042', 'holds a newline'],
    ['a tab', 'A-1\t042', 'holds a tab'],
    ['five spaces', 'A-1     042', 'holds more than four spaces in a row'],
    ['only spaces', '   ', 'is empty'],
  ])('a WhatsApp text parameter with %s is fault 1021', (_case, value, problem) => {
    const failure = faultOf(() => render('order_ready', { customProperties: cloneKvList({ OrderId: value, Track: 't' }) }));
    expect(failure.faultCode).toBe(1021);
    expect(failure.message).toBe(`WhatsApp body parameter 1 ${problem}; WhatsApp would reject it`);
  });

  it('four spaces in a row are still accepted', () => {
    expect(() => render('order_ready', { customProperties: cloneKvList({ OrderId: 'A    1', Track: 't' }) })).not.toThrow();
  });

  it('WhatsApp free-form text needs allowFreeText, then sends text and one message per attachment', () => {
    expect(faultOf(() => render('welcome_text')).faultCode).toBe(1020);
    const bodies = render('welcome_text', { allowFreeText: true }).bodies;
    expect(bodies).toEqual([
      { messaging_product: 'whatsapp', recipient_type: 'individual', to: '+15551230001', type: 'text', text: { preview_url: false, body: 'Hello Ana, here is the guide we talked about. Your reference is 0000GaBNKN2Q0021.' } },
      { messaging_product: 'whatsapp', recipient_type: 'individual', to: '+15551230001', type: 'document', document: { link: 'https://cdn.example.com/guides/general.pdf', filename: 'setup-guide.pdf' } },
    ]);
  });

  it('content a channel cannot carry is fault 1020 naming the response and the channel type', () => {
    expect(faultOf(() => render('apple_list_picker')).message).toBe('StandardResponseId "apple_list_picker" is listPicker content, which whatsapp channels cannot send');
    expect(faultOf(() => render('order_ready', { channelType: 'apple' })).faultCode).toBe(1020);
  });

  describe('on Apple Messages for Business', () => {
    const apple = { channelType: 'apple' as const, clientId: 'urn:mbid:AQAAY5p0', businessId: 'b7d1c0de-5a1e-4c3b-9f00-000000000abc' };

    it('a list picker renders to an interactive MSP message with Apple interactive data', () => {
      const body = render('apple_list_picker', apple).bodies[0] as Record<string, any>;
      expect(body).toMatchObject({ v: 1, type: 'interactive', sourceId: apple.businessId, destinationId: apple.clientId, body: 'Pick a delivery slot' });
      expect(body.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(body.interactiveData).toMatchObject({
        bid: 'com.apple.messages.MSMessageExtensionBalloonPlugin:0000000000:com.apple.icloud.apps.messages.business.extension',
        data: {
          version: '1.0',
          listPicker: { sections: [{ order: 0, title: 'Tomorrow', multipleSelection: false, items: [{ identifier: 'slot-am', order: 0, style: 'default', title: 'Morning', subtitle: '8:00 to 12:00' }, { identifier: 'slot-pm', order: 1 }] }] },
        },
        receivedMessage: { title: 'Choose your delivery slot', subtitle: 'Hi Ana', style: 'icon' },
        replyMessage: { title: 'Slot selected', style: 'icon' },
      });
    });

    it('time picker, rich link and quick reply render to their Apple shapes', () => {
      expect((render('apple_time_picker', apple).bodies[0] as any).interactiveData.data.event).toMatchObject({
        title: 'Book a callback with Rui',
        timezoneOffset: -300,
        timeslots: [{ identifier: 'cb-1', startTime: '2026-12-01T14:00+0000', duration: 1800 }, { identifier: 'cb-2' }],
      });
      expect(render('apple_rich_link', apple).bodies[0]).toMatchObject({
        type: 'richLink',
        richLinkData: { url: 'https://shop.example.com/orders/A-1042', title: 'Track order A-1042', assets: { image: { url: 'https://shop.example.com/img/parcel.png', mimeType: 'image/png' } } },
      });
      expect((render('apple_quick_reply', apple).bodies[0] as any).interactiveData.data['quick-reply']).toEqual({
        summaryText: 'Hi Ana, shall we continue here?',
        items: [{ identifier: 'continue', title: 'Yes, continue' }, { identifier: 'call-me', title: 'Call me back' }],
      });
    });

    it('the same session renders the same message id, so dry runs compare across runs', () => {
      expect(render('apple_quick_reply', apple).bodies).toEqual(render('apple_quick_reply', apple).bodies);
      expect((render('apple_quick_reply', { ...apple, sessionId: '0000000000000001' }).bodies[0] as any).id).not.toBe((render('apple_quick_reply', apple).bodies[0] as any).id);
    });

    it('plain text (.txt) renders to an MSP text message', () => {
      expect(render('callback_offer', apple).bodies[0]).toMatchObject({
        type: 'text',
        body: 'Hi Ana, this is Rui from the call you just had. Reply here any time and we will pick up where we left off (case C-7).',
      });
    });
  });
});

describe('the standard response catalog', () => {
  const catalogs = scratchDirectory('templates');

  function directoryWith(files: Record<string, string>): string {
    const directory = mkdtempSync(join(catalogs, 'catalog-'));
    for (const [name, content] of Object.entries(files)) writeFileSync(join(directory, name), content);
    return directory;
  }

  function problemsOf(files: Record<string, string>): string[] {
    try {
      loadStandardResponses(directoryWith(files));
    } catch (error) {
      if (error instanceof TemplateCatalogError) return error.problems;
      throw error;
    }
    return [];
  }

  it('two files for one id stop the start', () => {
    expect(problemsOf({ 'hello.json': '{"contentType":"text","text":"hi"}', 'hello.txt': 'hi' })).toEqual([
      'hello.txt: StandardResponseId "hello" is also defined by hello.json; keep one file per id',
    ]);
  });

  it('a bad file is named with the JSON path of each problem', () => {
    const problems = problemsOf({ 'bad.json': '{"contentType":"notification","id":"no-at-sign","language":"en_US","body":[{"text":"x"}]}' });
    expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(/^bad.json: id: must be namespace@element_name/), expect.stringMatching(/^bad.json: body.0.type:/)]));
  });

  it('an unknown key in a template is refused', () => {
    expect(problemsOf({ 'x.json': '{"contentType":"text","text":"hi","txet":"typo"}' })).toEqual(['x.json: (top level): unknown key(s) txet']);
  });

  it("a bubble style other than Apple's icon, small or large is refused, naming the file and the path", () => {
    const picker = (style: string) =>
      JSON.stringify({ contentType: 'listPicker', title: 'T', sections: [{ title: 'S', items: [{ identifier: 'a', title: 'A' }] }], receivedMessage: { title: 'R', style }, replyMessage: { title: 'P' } });
    expect(problemsOf({ 'lp.json': picker('large') })).toEqual([]);
    expect(problemsOf({ 'lp.json': picker('huge') })).toEqual(["lp.json: receivedMessage.style: must be one of Apple's bubble styles: icon, small, large"]);
    const time = JSON.stringify({ contentType: 'timePicker', title: 'T', timezoneOffset: 0, timeslots: [{ identifier: 'a', startTime: '2026-12-01T14:00+0000', duration: 60 }], replyMessage: { title: 'P', style: 'Small' } });
    expect(problemsOf({ 'tp.json': time })).toEqual(["tp.json: replyMessage.style: must be one of Apple's bubble styles: icon, small, large"]);
  });

  it('a rich link image is data or url; data over Apple\'s 200 kB is refused at load', () => {
    const link = (image: unknown) => JSON.stringify({ contentType: 'richLink', url: 'https://example.com/', title: 'T', image });
    expect(problemsOf({ 'ok.json': link({ data: 'iVBORw0KGgo=', mimeType: 'image/png' }) })).toEqual([]);
    expect(problemsOf({ 'big.json': link({ data: Buffer.alloc(200_001).toString('base64'), mimeType: 'image/png' }) })).toEqual([
      "big.json: image.data: the image is 200001 bytes; Apple takes at most 200000",
    ]);
    expect(problemsOf({ 'both.json': link({ data: 'iVBORw0KGgo=', url: 'https://example.com/a.png', mimeType: 'image/png' }) })).toEqual([
      'both.json: image: give either data (base64) or url, not both and not neither',
    ]);
    expect(problemsOf({ 'pdf.json': link({ url: 'https://example.com/a.pdf', mimeType: 'application/pdf' }) })).toEqual(['pdf.json: image.mimeType: must be an image MIME type such as image/png']);
    expect(problemsOf({ 'none.json': JSON.stringify({ contentType: 'richLink', url: 'https://example.com/', title: 'T' }) })).toEqual([
      expect.stringMatching(/^none.json: image: /),
    ]);
  });

  it('a rich link image URL has its host written out: field codes fill its path or query only (the gateway fetches it)', () => {
    const link = (url: string) => JSON.stringify({ contentType: 'richLink', url: 'https://example.com/', title: 'T', image: { url, mimeType: 'image/png' } });
    expect(problemsOf({ 'path.json': link('https://cdn.example.com/img/<$CustomProperties.OrderId$>.png?v=<$Contact.Id$>') })).toEqual([]);
    expect(problemsOf({ 'port.json': link('http://127.0.0.1:8081/a.png') })).toEqual([]);
    for (const url of ['https://<$CustomProperties.Host$>/a.png', 'https://cdn.<$CustomProperties.Zone$>.example.com/a.png', '<$CustomProperties.ImageUrl$>', 'https://user@<$CustomProperties.Host$>/a.png', 'file:///etc/passwd', 'ftp://example.com/a.png']) {
      expect(problemsOf({ 'host.json': link(url) }), url).toEqual([expect.stringMatching(/^host.json: image.url: must be an http\(s\) URL whose host is written out/)]);
    }
  });

  it('an SMS text keeps its attachments, as name: url lines after the text (SMS has no attachments of its own)', () => {
    const sms = renderAgentText('Your invoice', [{ name: 'invoice.pdf', url: 'https://cdn.example.com/i/7.pdf' }], context({ channelType: 'sms' }));
    expect(sms.bodies).toEqual([{ to: '+15551230001', from: '+15550001111', text: 'Your invoice\ninvoice.pdf: https://cdn.example.com/i/7.pdf' }]);
  });

  it('unknown ids, constructor and __proto__ included, are not found', () => {
    expect(catalog.get('nope')).toBeUndefined();
    expect(catalog.get('constructor')).toBeUndefined();
    expect(catalog.get('__proto__')).toBeUndefined();
  });
});

describe('WhatsApp currency parameters', () => {
  const template = (amount: string): StandardResponse =>
    ({
      id: 'price_quote',
      content: {
        contentType: 'notification',
        id: 'b7d1c0de@price_quote',
        language: 'en_US',
        body: [{ type: 'currency', currency: { fallback_value: '$12.50', code: 'USD', amount_1000: amount } }],
      },
    }) as unknown as StandardResponse;

  it('send amount_1000 as an integer, as the Cloud API schema requires, though a field code renders it as text', () => {
    const rendered = renderStandardResponse(template('<$CustomProperties.Amount$>'), context({ customProperties: cloneKvList({ Amount: '12500' }) }));
    const body = rendered.bodies[0] as { template: { components: Array<{ parameters: Array<{ currency: { amount_1000: unknown } }> }> } };
    expect(body.template.components[0]!.parameters[0]!.currency.amount_1000).toBe(12_500);
  });

  it('a value that is not a whole number is fault 1021 naming amount_1000', () => {
    const fault = faultOf(() => renderStandardResponse(template('<$CustomProperties.Amount$>'), context({ customProperties: cloneKvList({ Amount: '12.50' }) })));
    expect(fault).toMatchObject({ faultCode: 1021, message: expect.stringMatching(/amount_1000 must be a whole number/) });
  });
});
