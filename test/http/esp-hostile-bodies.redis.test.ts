import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import request from 'supertest';
import { parseStringPromise } from 'xml2js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { invitesFor } from '../support/esp-examples.js';
import { startTestGateway, TENANT1_KEY, testConfig, type TestGateway } from '../support/gateway.js';
import { listKeys } from '../support/redis.js';

/**
 * POST /esp with the bodies of a hostile test run (issue 12): each wraps an otherwise valid invite,
 * so a reader that let it through would create a session. Each must be fault 1001 with nothing stored.
 */
describe('POST /esp with hostile bodies', () => {
  let gateway: TestGateway;

  beforeAll(async () => {
    gateway = await startTestGateway({ label: 'hostile' });
  });
  afterAll(async () => gateway?.dispose());
  afterEach(async () => {
    // Every case is refused: no session may have been stored (one that was is removed, so that the
    // next case starts clean), and the gateway still answers.
    const stored = await listKeys(gateway.redis, `${gateway.prefix}:session`);
    if (stored.length > 0) await gateway.redis.del(...stored);
    expect(stored).toEqual([]);
    const healthy = await post('application/json', invitesFor('+15551239999')[0]!.body, '/esp?dryRun=true');
    expect(healthy.status, healthy.text).toBe(200);
  });

  function post(contentType: string, body: string | Buffer, path = '/esp') {
    return request(gateway.app!).post(path).set('Authorization', `Bearer ${TENANT1_KEY}`).set('Content-Type', contentType).send(body);
  }

  const [json, xml, tabLog, typedLog] = invitesFor('+15551230301');

  function expectFault(response: request.Response, status: number, faultString: RegExp | string) {
    expect(response.status, response.text).toBe(status);
    expect(response.body.Event).toBe('Event3rdServerFault');
    expect(response.body.Request.FaultCode).toBe(1001);
    if (typeof faultString === 'string') expect(response.body.Request.FaultString).toBe(faultString);
    else expect(response.body.Request.FaultString).toMatch(faultString);
    expect(response.text).not.toMatch(/Main St|15551230301/);
  }

  describe('lists nested past limits.maxNestingDepth (point 6)', () => {
    it('JSON nested 10,000 deep is 400 / 1001, not 500 / 1099', async () => {
      const body = json!.body.replace('"Track":"A1042"', `"Track":"A1042","Deep":${'{"k":'.repeat(10_000)}"v"${'}'.repeat(10_000)}`);
      expectFault(await post('application/json', body), 400, /^lists nest deeper than 32 levels \(limits\.maxNestingDepth\) at line 1, column \d+ of the JSON body$/);
    });

    it('XML ValueLists nested 2,000 deep are 400 / 1001', async () => {
      const deep = `<kvitem><key>Deep</key><value>${'<ValueList><kvitem><key>k</key><value>'.repeat(2_000)}<ValueString>v</ValueString>${'</value></kvitem></ValueList>'.repeat(2_000)}</value></kvitem>`;
      const body = xml!.body.replace('</UserData>', `${deep}</UserData>`);
      const response = await post('application/xml', body).set('Accept', 'application/json');
      expectFault(response, 400, /^lists nest deeper than 32 levels \(limits\.maxNestingDepth\) at line 1, column \d+ of the XML body$/);
    });

    it("a log line chaining 'k'(list) 20,000 times is 400 / 1001", async () => {
      const body = `${tabLog!.body}\n\t\t${"'k'(list)".repeat(20_000)}'v'\t'x'`;
      expectFault(await post('text/plain', body), 400, /^lists nest deeper than 32 levels \(limits\.maxNestingDepth\) at log text line \d+$/);
    });
  });

  describe('XML the well-formedness pass missed (point 7)', () => {
    it.each([
      ['an empty second root', `${xml?.body}<a/>`, /^the body is not well-formed XML: a second root element at line 1, column \d+$/],
      ['a childless second root', `${xml?.body}\n<a></a>`, /^the body is not well-formed XML: a second root element at line 2, column 3$/],
      ['a raw NUL', xml?.body.replace('Main St', 'Main\u0000St'), /^the body is not well-formed XML: character U\+0000 is not allowed in XML 1\.0 at line 1, column \d+$/],
    ])('with %s is 400 / 1001 naming the problem and its position, answered in XML', async (_case, body, faultString) => {
      const response = await post('application/xml', body!);
      expect(response.status, response.text).toBe(400);
      expect(response.type).toBe('application/xml');
      const reply = await parseStringPromise(response.text);
      const [code, text] = reply.Event3rdServerFault.Request[0].kvitem;
      expect(code.value[0].ValueInt[0]).toBe('1001');
      expect(text.value[0].ValueString[0]).toMatch(faultString);
      expect(response.text).not.toMatch(/Main|15551230301/);
    });
  });

  describe('a ReferenceId outside 32 bits (point 8)', () => {
    const twentyDigits = '12345678901234567890';
    it.each([
      ['tab log', 'text/plain', () => tabLog!.body.replace('AttributeReferenceID\t7', `AttributeReferenceID\t${twentyDigits}`)],
      ['typed log', 'text/plain', () => typedLog!.body.replace('attr_ref_id [int] = 7', `attr_ref_id [int] = ${twentyDigits}`)],
      ['JSON', 'application/json', () => json!.body.replace('"ReferenceId":7', `"ReferenceId":${twentyDigits}`)],
      ['XML', 'application/xml', () => xml!.body.replace('<ReferenceId>7</ReferenceId>', `<ReferenceId>${twentyDigits}</ReferenceId>`)],
    ])('in %s is 400 / 1001 with the same FaultString, and no cut-down ReferenceId echoed', async (_form, contentType, body) => {
      const response = await post(contentType, body()).set('Accept', 'application/json');
      expectFault(response, 400, 'ReferenceId must be a 32-bit integer');
      expect(response.body.ReferenceId).toBeUndefined();
    });
  });

  describe('body headers (point 9)', () => {
    let server: Server;
    let port: number;

    beforeAll(async () => {
      server = createServer(gateway.app!);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as { port: number }).port;
    });
    afterAll(async () => new Promise<void>((resolve) => server.close(() => resolve())));

    /**
     * Sends the head and a few body bytes, never the rest, and resolves with what the gateway
     * answered by the time it closed the connection, or after `waitMs` (then the socket is dropped).
     */
    function rawPost(headers: string, body: string, waitMs: number): Promise<string> {
      return new Promise((resolve, reject) => {
        const socket = connect(port, '127.0.0.1');
        let answer = '';
        const timer = setTimeout(() => {
          socket.destroy();
          resolve(answer || `no answer within ${waitMs} ms`);
        }, waitMs);
        socket.setEncoding('utf8');
        socket.on('data', (chunk) => (answer += chunk));
        socket.on('end', () => {
          clearTimeout(timer);
          resolve(answer);
        });
        socket.on('error', reject);
        socket.write(`POST /esp HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${TENANT1_KEY}\r\n${headers}\r\n\r\n${body}`);
      });
    }

    it('Content-Length of 10 GiB with 10 bytes sent is answered 413 / 1001 from the header, without waiting for the body', async () => {
      // Without the check the gateway waits for the 10 GiB that never come; 3 s is far beyond an answer.
      const answer = await rawPost('Content-Type: application/json\r\nContent-Length: 10737418240', '{"Request"', 3_000);
      expect(answer).toMatch(/^HTTP\/1\.1 413 /);
      expect(answer).toMatch(/connection: close/i);
      const reply = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4));
      expect(reply).toEqual({ Event: 'Event3rdServerFault', Request: { FaultCode: 1001, FaultString: 'the body is larger than the configured limit (limits.bodyBytes, 262144 bytes)' } });
    });

    it.each(['x-foo', 'br2'])('Content-Encoding %s is 415 / 1001 naming the encoding', async (encoding) => {
      const response = await post('application/json', json!.body).set('Content-Encoding', encoding);
      expectFault(response, 415, `Content-Encoding "${encoding}" is not supported: send identity, gzip, deflate or br`);
    });

    it('an unknown Content-Encoding is answered in the caller\'s format (XML)', async () => {
      const response = await post('text/xml', xml!.body).set('Content-Encoding', 'x-foo');
      expect(response.status).toBe(415);
      expect(response.text).toContain('<Event3rdServerFault><Request><kvitem><key>FaultCode</key><value><ValueInt>1001</ValueInt>');
      expect(response.text).toContain('Content-Encoding &quot;x-foo&quot; is not supported');
    });

    it('a gzip body still inflates (dry run)', async () => {
      // serialize: superagent would otherwise send the Buffer as JSON (the content type says JSON).
      const response = await post('application/json', gzipSync(json!.body), '/esp?dryRun=true')
        .set('Content-Encoding', 'gzip')
        .serialize((body: Buffer) => body as unknown as string);
      expect(response.status, response.text).toBe(200);
      expect(response.body.Request._umsDryRun).toBe('true');
    });
  });
});

describe('limits.maxNestingDepth from the configuration', () => {
  let gateway: TestGateway;

  beforeAll(async () => {
    gateway = await startTestGateway({ label: 'nesting', config: { ...testConfig(), limits: { maxNestingDepth: 3 } } });
  });
  afterAll(async () => gateway?.dispose());

  it('reaches POST /esp: Contact (depth 3) passes, a list inside it is 1001 naming the limit', async () => {
    const body = JSON.parse(invitesFor('+15551230302')[0]!.body);
    const ok = await request(gateway.app!).post('/esp?dryRun=true').set('X-Api-Key', TENANT1_KEY).send(body);
    expect(ok.status, ok.text).toBe(200);
    body.Request.Parameters.Contact.Address = { City: 'Lisbon' };
    const refused = await request(gateway.app!).post('/esp').set('X-Api-Key', TENANT1_KEY).send(body);
    expect(refused.status).toBe(400);
    expect(refused.body.Request).toEqual({ FaultCode: 1001, FaultString: expect.stringMatching(/^lists nest deeper than 3 levels \(limits\.maxNestingDepth\)/) });
    expect(await listKeys(gateway.redis, `${gateway.prefix}:session`)).toEqual([]);
  });
});
