import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { campaignCommand, type CampaignUi } from '../../src/cli/campaign-command.js';
import { createProgress } from '../../src/cli-support/progress.js';
import { runBin } from '../support/bin.js';
import { scratchDirectory } from '../support/scratch.js';
import { listKeys } from '../support/redis.js';
import { eventually, startTestGateway, TENANT1_KEY, WA_BUSINESS_ID, type TestGateway } from '../support/gateway.js';

/** What one run of the command printed, and the progress it reported. */
interface Run {
  status: number;
  out: string;
  err: string;
  progress: { label: string; total: number; done: number[]; stopped: boolean }[];
}

describe('invite-gateway campaign', () => {
  let gateway: TestGateway;
  let server: Server;
  let target: string;
  const directory = scratchDirectory('campaign-cli');

  beforeAll(async () => {
    gateway = await startTestGateway({ label: 'campaign-cli' });
    server = gateway.app!.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    target = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await gateway.dispose();
  });

  /** `terminal`: draw the progress bars there (as on a terminal) rather than record them. */
  async function run(args: string[], interrupted = new AbortController().signal, terminal?: NodeJS.WriteStream): Promise<Run> {
    const lines = { out: [] as string[], err: [] as string[] };
    const progress: Run['progress'] = [];
    const ui: CampaignUi = {
      out: (line) => lines.out.push(line),
      err: (line) => lines.err.push(line),
      pollMs: 50,
      interruptions: () => interrupted,
      progress: (label, unit, scale) => {
        if (terminal) return createProgress(label, unit, scale, terminal);
        const record = { label, total: 0, done: [] as number[], stopped: false };
        progress.push(record);
        return {
          start: (total) => void (record.total = total),
          increment: () => {},
          update: (done) => void record.done.push(done),
          stop: () => void (record.stopped = true),
        };
      },
    };
    const status = await campaignCommand([...args, '--target', target, '--api-key', TENANT1_KEY], ui);
    return { status, out: lines.out.join('\n'), err: lines.err.join('\n'), progress };
  }

  const shared = ['--channel', 'whatsapp-main', '--business-id', WA_BUSINESS_ID, '--template', 'order_ready', '--user-data', 'StoreName=Main St', '--custom-property', 'Track=T1'];

  function csvFile(name: string, rows: string[]): string {
    const path = join(directory, name);
    writeFileSync(path, ['_umsClientId,Contact.FirstName,CustomProperties.OrderId', ...rows].join('\n') + '\n');
    return path;
  }

  it('lists the first 10 refused rows at the end of a send, and says how many more there are past the first page', async () => {
    const rows = Array.from({ length: 1_005 }, (_, i) => `not-a-phone-${i},Bo,B-${i}`);
    const result = await run(['send', csvFile('all-refused.csv', rows), '--name', 'all-refused', ...shared]);

    expect(result.status).toBe(1);
    expect(result.out).toMatch(/refused\s+1005\n/);
    expect(result.out.match(/^row \d+\t/gm)).toHaveLength(10);
    expect(result.out).toContain('… 995 more refused rows');
  });

  it('sends a CSV file, follows it to the end and lists the refused rows (exit 1)', async () => {
    const rows = Array.from({ length: 40 }, (_, i) => `+1555600${String(i).padStart(4, '0')},Ana,A-${i}`);
    rows[9] = 'not-a-phone,Bo,A-9';
    rows.push(rows[0]!); // a duplicate recipient
    const result = await run(['send', csvFile('forty.csv', rows), '--name', 'cli-test', ...shared]);

    expect(result.err).toBe('');
    expect(result.status).toBe(1);
    const id = /campaign (\S+): 41 rows stored/.exec(result.out)?.[1];
    expect(id).toBeDefined();
    expect(result.out).toMatch(/state\s+done/);
    expect(result.out).toMatch(/total\s+41/);
    expect(result.out).toMatch(/refused\s+1\n/);
    expect(result.out).toMatch(/duplicate\s+1$/m);
    expect(result.out).toMatch(/row 10\t\S+\trefused\tfault 1011: _umsClientId is not a phone number/);

    const [uploading, sending] = result.progress;
    expect(uploading).toMatchObject({ label: 'uploading', stopped: true });
    expect(uploading!.done.at(-1)).toBe(uploading!.total);
    expect(sending).toMatchObject({ label: 'sending', total: 41, stopped: true });
    expect(sending!.done.at(-1)).toBe(41);

    // status shows the same figures as the gateway's own answer, once the sandbox reported every read.
    const counts = await eventually(async () => {
      const body = (await fetch(`${target}/campaigns/${id}`, { headers: { authorization: `Bearer ${TENANT1_KEY}` } }).then((r) => r.json())) as { counts: Record<string, number> };
      return body.counts.read === 39 ? body : undefined;
    });
    const status = await run(['status', id!]);
    expect(status.status).toBe(0);
    const { sent, delivered, read, ...others } = counts.counts;
    for (const [name, count] of Object.entries(others)) expect(status.out).toMatch(new RegExp(`^${name}\\s+${count}$`, 'm'));
    // "sent" is every row handed to the provider, with how far those got beside it.
    expect(status.out).toMatch(new RegExp(`^sent\\s+${sent! + delivered! + read!} \\(delivered ${delivered}, read ${read}\\)$`, 'm'));
    const duplicates = await run(['status', id!, '--rows', 'duplicate']);
    expect(duplicates.out).toMatch(/^row 41\t\+\*+0000\tduplicate$/m);
  });

  it('sends a JSON recipients file with --no-follow, then status --follow waits for the end (exit 0)', async () => {
    const path = join(directory, 'recipients.json');
    writeFileSync(path, JSON.stringify(Array.from({ length: 12 }, (_, i) => ({ _umsClientId: `+1555610${String(i).padStart(4, '0')}`, CustomProperties: { OrderId: `J-${i}` } }))));
    const sent = await run(['send', path, '--terminate', ...shared, '--no-follow']);
    expect(sent.status).toBe(0);
    const id = /campaign (\S+): 12 rows stored/.exec(sent.out)?.[1];
    expect(sent.out).toContain(`campaign status ${id} --follow`);
    expect(sent.progress.map((p) => p.label)).toEqual(['uploading']);

    const followed = await run(['status', id!, '--follow']);
    expect(followed.status).toBe(0);
    expect(followed.out).toMatch(/waiting\s+0\npending\s+0/);
    // --terminate: each session ended right after its send.
    const sessionKeys = (await listKeys(gateway.redis, `${gateway.prefix}:session`)).filter((key) => /:session:[^:]+$/.test(key));
    const sessions = await Promise.all(sessionKeys.map((key) => gateway.redis.hmget(key, 'campaign', 'state')));
    const ofThisCampaign = sessions.filter(([campaign]) => campaign?.startsWith(`${id}:`));
    expect(ofThisCampaign).toHaveLength(12);
    expect(new Set(ofThisCampaign.map(([, state]) => state))).toEqual(new Set(['terminated']));
  });

  it('status --follow joining a running campaign shows the pace seen since it joined, on one 80-column line keeping the counts, and "sent" as the summary says it', async () => {
    const rows = Array.from({ length: 240 }, (_, i) => `+1555660${String(i).padStart(4, '0')},Hu,H-${i}`);
    const sent = await run(['send', csvFile('joined.csv', rows), ...shared, '--no-follow']);
    const id = /campaign (\S+):/.exec(sent.out)![1]!;
    // Join once a good part is settled: the channel sends 80 a second (its default rateLimit).
    await eventually(async () => {
      const body = (await fetch(`${target}/campaigns/${id}`, { headers: { authorization: `Bearer ${TENANT1_KEY}` } }).then((r) => r.json())) as { total: number; counts: Record<string, number> };
      return body.total - body.counts.waiting! - body.counts.pending! >= 60 ? body : undefined;
    });
    const terminal = fakeTerminal(80);
    const followed = await run(['status', id, '--follow'], undefined, terminal.stream);
    expect(followed.status).toBe(0);

    // The first line is drawn at the start, before the first counts come in.
    const draws = terminal.draws().slice(1);
    expect(draws.length).toBeGreaterThan(1);
    for (const line of draws) {
      expect(line.length).toBeLessThan(80);
      expect(line).toMatch(/^sending .*\/240 rows .*\| (done, )?sent \d+/);
    }
    // One meaning of "sent": handed to the provider, in the bar and the summary alike.
    const lastBarSent = /\bsent (\d+)/.exec(draws.at(-1)!)![1];
    expect(lastBarSent).toBe('240');
    expect(followed.out).toMatch(/^sent\s+240 \(delivered \d+, read \d+\)$/m);
    expect(followed.out).not.toMatch(/^(delivered|read)\s/m);
    // Before: the rows already settled counted as done in no time (thousands a second).
    const rates = draws.flatMap((line) => [.../\| (\d+(?:\.\d)?)\/s/.exec(line)?.slice(1) ?? []]).map(Number);
    expect(rates.length).toBeGreaterThan(0);
    expect(Math.max(...rates)).toBeLessThan(400);
  });

  it('pauses and cancels a campaign; following a cancelled one ends with exit 1', async () => {
    const rows = Array.from({ length: 30 }, (_, i) => `+1555620${String(i).padStart(4, '0')},Cy,C-${i}`);
    const sent = await run(['send', csvFile('pausable.csv', rows), ...shared, '--no-follow']);
    const id = /campaign (\S+):/.exec(sent.out)![1]!;
    expect((await run(['pause', id])).out).toBe(`campaign ${id}: paused`);
    expect((await run(['status', id])).out).toMatch(/state\s+paused/);
    expect((await run(['cancel', id])).out).toBe(`campaign ${id}: cancelled`);
    const followed = await run(['status', id, '--follow']);
    expect(followed.status).toBe(1);
    expect(followed.out).toMatch(/state\s+cancelled/);
    const again = await run(['resume', id]);
    expect(again.status).toBe(2);
    expect(again.err).toMatch(/is cancelled: it cannot resume/);
  });

  it('stops following on Ctrl-C and leaves the campaign running', async () => {
    const rows = Array.from({ length: 5 }, (_, i) => `+1555630${String(i).padStart(4, '0')},Di,D-${i}`);
    const sent = await run(['send', csvFile('interrupted.csv', rows), ...shared, '--no-follow']);
    const id = /campaign (\S+):/.exec(sent.out)![1]!;
    await run(['pause', id]);
    const interrupt = new AbortController();
    setTimeout(() => interrupt.abort(), 200);
    const followed = await run(['status', id, '--follow'], interrupt.signal);
    expect(followed.status).toBe(130);
    expect(followed.out).toContain(`stopped following; the campaign goes on (invite-gateway campaign status ${id} --follow)`);
    expect((await run(['status', id])).out).toMatch(/state\s+paused/);
  });

  it('refuses what cannot run with exit 2 and a sentence naming the problem', async () => {
    const file = csvFile('one.csv', ['+15556400001,Ed,E-1']);
    const noTemplate = await run(['send', file, '--channel', 'whatsapp-main', '--business-id', WA_BUSINESS_ID]);
    expect(noTemplate).toMatchObject({ status: 2, err: expect.stringMatching(/^campaign: --template is required \[CLI\.USAGE\]\n/) });
    const missing = await run(['send', join(directory, 'nope.csv'), ...shared]);
    expect(missing.err).toMatch(/nope\.csv: no such file/);
    const badPair = await run(['send', file, ...shared, '--user-data', 'novalue']);
    expect(badPair.err).toMatch(/--user-data takes KEY=VALUE, not "novalue"/);

    writeFileSync(join(directory, 'bad-column.csv'), '_umsClientId,Phone\n+15556400002,x\n');
    const badColumn = await run(['send', join(directory, 'bad-column.csv'), ...shared]);
    expect(badColumn).toMatchObject({ status: 2, err: expect.stringMatching(/fault 1001: CSV line 1 column 2: column "Phone"/) });
    const unknownTemplate = await run(['send', file, ...shared.slice(0, 4), '--template', 'nope']);
    expect(unknownTemplate.err).toMatch(/fault 1020: StandardResponseId "nope" is not a known standard response/);
    const unknownCampaign = await run(['status', 'no-such-id']);
    expect(unknownCampaign).toMatchObject({ status: 2, err: 'campaign: no such campaign for this API key [CLI.CAMPAIGN_REFUSED]' });
  });

  it('runs as the package bin, with the API key from the environment', async () => {
    const file = csvFile('bin.csv', ['+15556500001,Flo,F-1', '+15556500002,Gus,G-2']);
    const result = await runBin(['campaign', 'send', file, ...shared, '--target', target], { ...process.env, INVITE_GATEWAY_API_KEY: TENANT1_KEY });
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/: 2 rows stored/);
    expect(result.stdout).toMatch(/refused\s+0/);
    // Not a terminal: progress is plain lines on stderr, ending at the total.
    expect(result.stderr).toMatch(/sending: 2\/2 rows/);
    const closedPort = await freePort();
    const down = await runBin(['campaign', 'status', 'x', '--target', `http://127.0.0.1:${closedPort}`, '--api-key', 'k']);
    expect(down.status).toBe(2);
    expect(down.stderr).toContain(`campaign: cannot reach http://127.0.0.1:${closedPort}: ECONNREFUSED [CLI.TARGET_UNUSABLE]\n`);
  });

  it('check prints the dry run of a file: exit 1 with the faults when a column is missing, exit 0 when every row would send, nothing stored', async () => {
    const campaignRecords = async () => (await listKeys(gateway.redis, `${gateway.prefix}:campaign`)).filter((key) => /:campaign:[^:]+$/.test(key)).sort();
    const before = await campaignRecords();
    const noOrderId = join(directory, 'no-order-id.csv');
    writeFileSync(noOrderId, ['_umsClientId,Contact.FirstName', ...Array.from({ length: 120 }, (_, i) => `+1555620${String(i).padStart(4, '0')},Ana`)].join('\n') + '\n');
    const missing = await run(['check', noOrderId, ...shared]);
    expect(missing.err).toBe('');
    expect(missing.status).toBe(1);
    expect(missing.out).toMatch(/^rows\s+120$/m);
    expect(missing.out).toMatch(/^would send\s+0$/m);
    expect(missing.out).toMatch(/^refused\s+120$/m);
    expect(missing.out).toContain('row 1\tfault 1021: field code <$CustomProperties.OrderId$> has no value');
    expect(missing.out.match(/^row \d+\tfault /gm)).toHaveLength(100);
    expect(missing.out).toContain('… 20 more refused rows');

    const good = await run(['check', csvFile('good.csv', ['+15556300001,Ana,A-1', '+15556300002,Bo,A-2', '+15556300001,Ana,A-1']), ...shared]);
    expect(good.status).toBe(0);
    expect(good.out).toMatch(/^would send\s+2$/m);
    expect(good.out).toMatch(/^duplicate\s+1$/m);
    expect(good.out).toMatch(/^refused\s+0$/m);
    expect(await campaignRecords()).toEqual(before);

    // send refuses the same file at once: no campaign, the fault naming the column (exit 2).
    const sent = await run(['send', noOrderId, ...shared]);
    expect(sent.status).toBe(2);
    expect(sent.err).toMatch(/fault 1021: .*no CustomProperties\.OrderId column/);
    expect(await campaignRecords()).toEqual(before);
  });
});

/** A stream that says it is a terminal `columns` wide; `draws` are the lines the bar drew, escapes removed. */
function fakeTerminal(columns: number): { stream: NodeJS.WriteStream; draws(): string[] } {
  const stream = Object.assign(new PassThrough(), { isTTY: true, columns, rows: 40 });
  const chunks: string[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
  return {
    stream: stream as unknown as NodeJS.WriteStream,
    // eslint-disable-next-line no-control-regex
    draws: () => chunks.map((chunk) => chunk.replace(/\u001b(\[[0-9;?]*[A-Za-z]|[78])/g, '').trim()).filter((line) => line !== ''),
  };
}

/** A loopback port nothing listens on. */
async function freePort(): Promise<number> {
  const probe = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => probe.once('listening', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}
