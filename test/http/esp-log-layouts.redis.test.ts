import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GENESYS_LAYOUTS } from '../support/genesys-layouts.js';
import { startTestGateway, TENANT1_KEY, type TestGateway } from '../support/gateway.js';
import { listKeys } from '../support/redis.js';

/** `POST /esp` with `text/plain` bodies in each layout real Genesys servers log (domain.md 1.3, 2.5). */
describe('POST /esp reads the logged layouts of real Genesys servers', () => {
  let gateway: TestGateway;

  beforeAll(async () => {
    gateway = await startTestGateway({ label: 'log-layouts' });
  });
  afterAll(async () => gateway?.dispose());

  function post(body: string, path = '/esp?dryRun=true') {
    return request(gateway.app!).post(path).set('Authorization', `Bearer ${TENANT1_KEY}`).set('Content-Type', 'text/plain').send(body);
  }

  it.each(GENESYS_LAYOUTS.map((layout) => [layout.name, layout] as const))('reads %s as one InviteToChat with its parameters', async (_name, layout) => {
    const response = await post(layout.lines(41).join('\n'));
    expect(response.status, response.text).toBe(200);
    expect(response.body.Event).toBe('Event3rdServerResponse');
    expect(response.body.ReferenceId).toBe(41);
    // The dry run renders order_ready for the channel and client the parameters name.
    expect(response.body.Request._umsDryRun).toBe('true');
    expect(response.body.Request.Rendered).toContain('15557770001');
    expect(response.body.Request.Rendered).toContain('A-1001');
    expect(response.body.Request.Rendered).toContain('Main St');
  });

  it('a body whose first line is no header it knows names what was expected and what was found, without quoting the line', async () => {
    const cases: [string, RegExp][] = [
      ['12:00:01.101 Trc 09999 Request3rdServer queued for +15557770001', /found a line that names Request3rdServer in a header layout the reader does not know$/],
      ['12:00:01.101 Std 05060 Server started for +15557770001', /found a line that is not a message header$/],
    ];
    for (const [firstLine, found] of cases) {
      const response = await post([firstLine, ...GENESYS_LAYOUTS[1]!.lines(41).slice(1)].join('\n'));
      expect(response.status, response.text).toBe(400);
      expect(response.body.Request.FaultCode).toBe(1001);
      expect(response.body.Request.FaultString).toMatch(/^log text line 1: expected a Request3rdServer message header or the lines of its block, found /);
      expect(response.body.Request.FaultString).toMatch(found);
      expect(response.text).not.toMatch(/15557770001|queued|Server started/);
    }
    expect(await listKeys(gateway.redis, `${gateway.prefix}:session`)).toEqual([]);
  });
});
