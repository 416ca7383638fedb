import { stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { checkReachable, gatewayTarget, problemLine, TARGET_OPTIONS, TARGET_USAGE, TargetError, UsageError } from '../cli-support/gateway-target.js';
import { createProgress, type Progress } from '../cli-support/progress.js';
import { CampaignClient, CampaignRefused, type CampaignCheck, type CampaignParameters, type CampaignStatus } from './campaign-client.js';
import { labelTable } from './label-table.js';

export const CAMPAIGN_USAGE = `usage: invite-gateway campaign <send|check|status|pause|resume|cancel> ...

  campaign send <file.csv|file.json> --channel C --business-id B --template T [options]
      uploads the recipients (CSV with a header row, or a JSON array of recipients), then
      follows the campaign with a progress bar until every row is sent, refused or failed
    --chat-queue-key K       ChatQueueKey (tenant:endpoint) the sessions open in
    --terminate              TerminateSessionFlag=true: end each session right after its send
    --name N                 the campaign's name
    --custom-property K=V    a CustomProperties value for every row (repeatable; a column wins)
    --user-data K=V          a UserData value for every row (repeatable; a column wins)
    --no-follow              return once the file is stored, printing the campaign id
  campaign check <file.csv|file.json> --channel C --business-id B --template T [options]
      a dry run: the gateway validates and renders every row as send would, stores and sends
      nothing, and the counts and the first 100 faults are printed (options as for send,
      but --no-follow); exit 0 when no row would be refused, 1 otherwise
  campaign status <id> [--follow] [--rows refused|failed|duplicate]
  campaign pause|resume|cancel <id>

${TARGET_USAGE}

Ctrl-C while following stops following; the campaign goes on.
exit status: 0 done (every row sent, or the status shown), 1 the campaign ended with refused or
failed rows or was cancelled (check: a row would be refused), 2 usage or connection errors, or the gateway refused the request`;

/** Where the command writes, and how often it looks at a running campaign; tests pass their own. */
export interface CampaignUi {
  out(line: string): void;
  err(line: string): void;
  progress(label: string, unit: string, scale?: number): Progress;
  pollMs: number;
  /** Called when following starts: the signal is aborted by Ctrl-C, which then stops following, not the campaign. */
  interruptions(): AbortSignal;
}

function terminalUi(): CampaignUi {
  return {
    out: (line) => console.log(line),
    err: (line) => console.error(line),
    progress: (label, unit, scale) => createProgress(label, unit, scale),
    pollMs: 1_000,
    // Only while following: before that (an upload) Ctrl-C stops the command as usual.
    interruptions() {
      const interrupt = new AbortController();
      process.once('SIGINT', () => interrupt.abort());
      return interrupt.signal;
    },
  };
}

/** `invite-gateway campaign …`: returns the exit status. */
export async function campaignCommand(args: string[], ui: CampaignUi = terminalUi()): Promise<number> {
  const [action, ...rest] = args;
  if (!action || action === '--help' || action === '-h' || rest.includes('--help')) {
    ui.out(CAMPAIGN_USAGE);
    return action ? 0 : 2;
  }
  try {
    switch (action) {
      case 'send':
        return await send(rest, ui);
      case 'check':
        return await check(rest, ui);
      case 'status':
        return await status(rest, ui);
      case 'pause':
      case 'resume':
      case 'cancel':
        return await change(action, rest, ui);
      default:
        throw new UsageError(`unknown campaign command "${action}"`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      ui.err(`${problemLine('campaign', error)}\n\n${CAMPAIGN_USAGE}`);
      return 2;
    }
    if (error instanceof TargetError || error instanceof CampaignRefused) {
      ui.err(problemLine('campaign', error));
      return 2;
    }
    throw error;
  }
}

/** The flags `send` and `check` share: the campaign's shared parameters. */
const CAMPAIGN_OPTIONS = {
  channel: { type: 'string' },
  'business-id': { type: 'string' },
  template: { type: 'string' },
  'chat-queue-key': { type: 'string' },
  terminate: { type: 'boolean' },
  name: { type: 'string' },
  'custom-property': { type: 'string', multiple: true },
  'user-data': { type: 'string', multiple: true },
} as const;

type CampaignValues = ReturnType<typeof readArgs<typeof CAMPAIGN_OPTIONS>>['values'];

async function send(args: string[], ui: CampaignUi): Promise<number> {
  const { values, positionals } = readArgs(args, { ...CAMPAIGN_OPTIONS, 'no-follow': { type: 'boolean' } });
  const { path, parameters, bytes, client } = await prepareUpload(values, positionals);

  const uploading = bytes < 10 * 1024 * 1024 ? ui.progress('uploading', 'KB', 1024) : ui.progress('uploading', 'MB', 1024 * 1024);
  uploading.start(bytes);
  let uploaded = 0;
  const stored = await client.upload({ path, bytes }, parameters, (more) => uploading.update((uploaded += more))).finally(() => uploading.stop());
  ui.out(`campaign ${stored.campaignId}: ${stored.rows} rows stored`);
  if (values['no-follow']) {
    ui.out(`follow it with: invite-gateway campaign status ${stored.campaignId} --follow`);
    return 0;
  }
  return finish(client, stored.campaignId, await follow(client, stored.campaignId, ui), ui);
}

/** `campaign check`: the gateway's dry run of the file, printed; 1 when a row would be refused. */
async function check(args: string[], ui: CampaignUi): Promise<number> {
  const { values, positionals } = readArgs(args, CAMPAIGN_OPTIONS);
  const { path, parameters, bytes, client } = await prepareUpload(values, positionals);
  const uploading = bytes < 10 * 1024 * 1024 ? ui.progress('checking', 'KB', 1024) : ui.progress('checking', 'MB', 1024 * 1024);
  uploading.start(bytes);
  let uploaded = 0;
  const checked = await client.check({ path, bytes }, parameters, (more) => uploading.update((uploaded += more))).finally(() => uploading.stop());
  printCheck(checked, ui);
  return checked.refused > 0 ? 1 : 0;
}

function printCheck(checked: CampaignCheck, ui: CampaignUi): void {
  ui.out(labelTable([['rows', checked.rows], ['would send', checked.wouldSend], ['duplicate', checked.duplicate], ['refused', checked.refused]]));
  for (const fault of checked.faults) ui.out(`row ${fault.row}\tfault ${fault.FaultCode}: ${fault.FaultString}`);
  if (checked.refused > checked.faults.length) ui.out(`… ${checked.refused - checked.faults.length} more refused rows`);
}

/** The file, the shared parameters from the flags, and a client of a gateway that answers. */
async function prepareUpload(values: CampaignValues, positionals: string[]) {
  if (positionals.length !== 1) throw new UsageError('name one recipients file (.csv or .json)');
  const path = positionals[0]!;
  const parameters: CampaignParameters = {
    ...(values.name === undefined ? {} : { name: values.name }),
    _umsChannel: required(values.channel, '--channel'),
    _umsBusinessId: required(values['business-id'], '--business-id'),
    StandardResponseId: required(values.template, '--template'),
    ...(values['chat-queue-key'] === undefined ? {} : { ChatQueueKey: values['chat-queue-key'] }),
    ...(values.terminate ? { TerminateSessionFlag: 'true' as const } : {}),
    CustomProperties: keyValues(values['custom-property'], '--custom-property'),
    UserData: keyValues(values['user-data'], '--user-data'),
  };
  const bytes = await fileSize(path);
  const target = gatewayTarget(values);
  await checkReachable(target.url);
  return { path, parameters, bytes, client: new CampaignClient(target) };
}

async function status(args: string[], ui: CampaignUi): Promise<number> {
  const { values, positionals } = readArgs(args, { follow: { type: 'boolean' }, rows: { type: 'string' } });
  const campaignId = oneCampaignId(positionals);
  if (values.rows !== undefined && !['refused', 'failed', 'duplicate'].includes(values.rows)) throw new UsageError('--rows must be refused, failed or duplicate');
  const client = new CampaignClient(gatewayTarget(values));
  if (values.rows) {
    await listRows(client, campaignId, values.rows, ui);
    return 0;
  }
  if (values.follow) return finish(client, campaignId, await follow(client, campaignId, ui), ui);
  ui.out(summary(await client.status(campaignId)));
  return 0;
}

async function change(action: 'pause' | 'resume' | 'cancel', args: string[], ui: CampaignUi): Promise<number> {
  const { values, positionals } = readArgs(args, {});
  const campaignId = oneCampaignId(positionals);
  const changed = await new CampaignClient(gatewayTarget(values)).change(campaignId, action);
  ui.out(`campaign ${campaignId}: ${changed.state}`);
  return 0;
}

/**
 * Polls the campaign until every row is settled (sent, refused, failed or duplicate) or it is
 * cancelled; a paused campaign is waited for. Returns the last status, or undefined after Ctrl-C.
 */
async function follow(client: CampaignClient, campaignId: string, ui: CampaignUi): Promise<CampaignStatus | undefined> {
  let current = await client.status(campaignId);
  const interrupted = ui.interruptions();
  const progress = ui.progress('sending', 'rows');
  // Rows settled before following began are not counted in the rate: they were not seen settling.
  progress.start(current.total, settledRows(current));
  try {
    for (;;) {
      progress.update(settledRows(current), progressDetail(current));
      if (isFinished(current)) return current;
      try {
        await sleep(ui.pollMs, undefined, { signal: interrupted });
      } catch {
        return undefined; // Ctrl-C
      }
      current = await client.status(campaignId);
    }
  } finally {
    progress.stop();
  }
}

async function finish(client: CampaignClient, campaignId: string, last: CampaignStatus | undefined, ui: CampaignUi): Promise<number> {
  if (!last) {
    ui.out(`stopped following; the campaign goes on (invite-gateway campaign status ${campaignId} --follow)`);
    return 130;
  }
  ui.out(summary(last));
  const withProblems = (['refused', 'failed'] as const).filter((state) => last.counts[state] > 0);
  for (const state of withProblems) ui.out(`${state} rows: invite-gateway campaign status ${last.campaignId} --rows ${state}`);
  // The first refused rows are shown at once: they are usually one mistake in the file.
  if (last.counts.refused > 0) await listRows(client, last.campaignId, 'refused', ui, 10);
  return withProblems.length > 0 || last.state === 'cancelled' ? 1 : 0;
}

const ROWS_PER_PAGE = 1000;

/** The rows in `state`, page by page, at most `atMost` of them; then how many more there are. */
async function listRows(client: CampaignClient, campaignId: string, state: string, ui: CampaignUi, atMost = Infinity): Promise<void> {
  let shown = 0;
  let total = 0;
  for (let offset = 0; shown < atMost && (offset === 0 || offset < total); offset += ROWS_PER_PAGE) {
    const page = await client.rows(campaignId, state, offset, Math.min(ROWS_PER_PAGE, atMost - shown));
    total = page.total;
    for (const row of page.rows) {
      const why = row.FaultCode ? `fault ${row.FaultCode}: ${row.FaultString ?? ''}` : (row.error ?? '');
      ui.out(`row ${row.row}\t${row._umsClientId}\t${row.state}${why ? `\t${why}` : ''}`);
      shown++;
    }
    if (page.rows.length === 0) break;
  }
  if (total > shown) ui.out(`… ${total - shown} more ${state} rows`);
}

/** `done` means every row is settled (docs/protocol.md#campaigns); a cancelled campaign sends nothing more. */
function isFinished(status: CampaignStatus): boolean {
  return status.state === 'done' || status.state === 'cancelled';
}

/** Rows with their outcome: sent (or further), refused, failed or duplicate. */
function settledRows(status: CampaignStatus): number {
  return status.total - status.counts.waiting - status.counts.pending;
}

/**
 * "sent" has one meaning in the bar and the summary: handed to the provider (the gateway's sent,
 * delivered and read counts together), with the delivered and read part beside it. The bar leaves
 * out what is zero, so the figures fit an 80-column terminal.
 */
function progressDetail(status: CampaignStatus): string {
  const { state, counts } = status;
  const problems = (['refused', 'failed', 'duplicate'] as const).filter((name) => counts[name] > 0).map((name) => `, ${name} ${counts[name]}`);
  return `${state === 'running' ? '' : `${state}, `}sent ${sentText(status, 'nonZero')}${problems.join('')}`;
}

/** `197 (delivered 20, read 177)`: rows handed to the provider, then how far they got. */
function sentText({ counts }: CampaignStatus, breakdown: 'all' | 'nonZero'): string {
  const handedOver = counts.sent + counts.delivered + counts.read;
  const parts = (['delivered', 'read'] as const).filter((name) => breakdown === 'all' || counts[name] > 0).map((name) => `${name} ${counts[name]}`);
  return parts.length > 0 ? `${handedOver} (${parts.join(', ')})` : String(handedOver);
}

function summary(status: CampaignStatus): string {
  const rows: [string, string | number][] = [
    ['campaign', `${status.campaignId}${status.name ? ` (${status.name})` : ''}`],
    ['state', status.state],
    ['total', status.total],
    ['waiting', status.counts.waiting],
    ['pending', status.counts.pending],
    ['sent', sentText(status, 'all')],
    ...(['failed', 'refused', 'duplicate'] as const).map((name): [string, number] => [name, status.counts[name]]),
  ];
  return labelTable(rows);
}

type OptionSpecs = Record<string, { type: 'string' | 'boolean'; multiple?: boolean }>;

function readArgs<T extends OptionSpecs>(args: string[], options: T) {
  try {
    return parseArgs({ args, allowPositionals: true, strict: true, options: { ...TARGET_OPTIONS, ...options } });
  } catch (error) {
    // node:util's messages name the option ("Unknown option '--templte'"), which is what the user needs.
    throw new UsageError((error as Error).message);
  }
}

function required(value: string | undefined, flag: string): string {
  if (!value) throw new UsageError(`${flag} is required`);
  return value;
}

function oneCampaignId(positionals: string[]): string {
  if (positionals.length !== 1) throw new UsageError('name one campaign id');
  return positionals[0]!;
}

/** `K=V` flags as a key-value list; the value may itself hold `=`. */
function keyValues(items: string[] | undefined, flag: string): Record<string, string> {
  const list: Record<string, string> = {};
  for (const item of items ?? []) {
    const equals = item.indexOf('=');
    if (equals <= 0) throw new UsageError(`${flag} takes KEY=VALUE, not "${item}"`);
    list[item.slice(0, equals)] = item.slice(equals + 1);
  }
  return list;
}

async function fileSize(path: string): Promise<number> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new UsageError(`${path} is not a file`);
    return info.size;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
}
