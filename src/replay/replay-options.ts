import { parseArgs } from 'node:util';
import { gatewayTarget, TARGET_OPTIONS, TARGET_USAGE, UsageError } from '../cli-support/gateway-target.js';
import { parseTimeBound, type TimeBound } from './time-window.js';

/** What `invite-gateway replay` was asked to do (docs/protocol.md#replay). */
export interface ReplayOptions {
  /** Log files or directories (searched recursively). */
  paths: string[];
  /** The gateway to replay against. @defaultValue `http://127.0.0.1:$PORT` (8080) */
  target: string;
  apiKey: string;
  /** Send real invites instead of the gateway's dry run. */
  live: boolean;
  /** Confirms `--live` without a terminal prompt. */
  yes: boolean;
  /** Requests started per second. @defaultValue 100 */
  rate: number;
  /** Requests in flight at once. @defaultValue 8 */
  concurrency: number;
  channel?: string;
  businessId?: string;
  since?: TimeBound;
  until?: TimeBound;
  /** A previous report whose renders (and answers, for requests without a logged reply) are the reference. */
  baseline?: string;
  /** Where the JSON report goes; the HTML report is written beside it. */
  report?: string;
  /** Mask phone numbers, e-mail addresses and names in reports. @defaultValue true */
  redact: boolean;
  /** A run that finds no InviteToChat request exits 0 instead of 1. @defaultValue false */
  allowEmpty: boolean;
}

export const REPLAY_USAGE = `usage: invite-gateway replay <files or dirs...> [options]

${TARGET_USAGE}
  --live               send real invites (default: the gateway's dry run, nothing is sent)
  --yes                confirm --live without a prompt (needed when not on a terminal)
  --rate N             requests started per second (default 100)
  --concurrency N      requests in flight (default 8)
  --channel C          only requests for this _umsChannel
  --business-id B      only requests for this _umsBusinessId
  --since T, --until T only requests logged in this window: HH:MM[:SS[.mmm]] or an ISO date-time
  --baseline FILE      a previous report: its renders are compared with today's
  --report FILE        write the JSON report there, and the HTML report beside it
  --no-redact          keep phone numbers and names in reports
  --allow-empty        exit 0 when the logs hold no InviteToChat request (default: exit 1)

Ctrl-C stops the replay: the requests in flight end, the summary and report cover what was
replayed (marked incomplete). Ctrl-C again quits at once.
exit status: 0 nothing changed, 1 differences, unparsed requests or no request found, 2 usage or connection errors,
130 stopped by Ctrl-C`;

/** Reads the replay command line; throws UsageError with a sentence for anything wrong. */
export function parseReplayArgs(args: string[], env: NodeJS.ProcessEnv = process.env): ReplayOptions {
  const { values, positionals } = readArgs(args);
  if (positionals.length === 0) throw new UsageError('name at least one log file or directory');
  const { url, apiKey } = gatewayTarget(values, env);
  return {
    paths: positionals,
    target: url,
    apiKey,
    live: values.live ?? false,
    yes: values.yes ?? false,
    rate: positiveNumber('--rate', values.rate, 100),
    concurrency: Math.floor(positiveNumber('--concurrency', values.concurrency, 8)),
    channel: values.channel,
    businessId: values['business-id'],
    since: timeBound('--since', values.since),
    until: timeBound('--until', values.until),
    baseline: values.baseline,
    report: values.report,
    redact: !(values['no-redact'] ?? false),
    allowEmpty: values['allow-empty'] ?? false,
  };
}

function readArgs(args: string[]) {
  try {
    return parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        ...TARGET_OPTIONS,
        live: { type: 'boolean' },
        yes: { type: 'boolean', short: 'y' },
        rate: { type: 'string' },
        concurrency: { type: 'string' },
        channel: { type: 'string' },
        'business-id': { type: 'string' },
        since: { type: 'string' },
        until: { type: 'string' },
        baseline: { type: 'string' },
        report: { type: 'string' },
        'no-redact': { type: 'boolean' },
        'allow-empty': { type: 'boolean' },
      },
    });
  } catch (error) {
    // node:util's messages name the option ("Unknown option '--rat'"), which is what the user needs.
    throw new UsageError((error as Error).message);
  }
}

function positiveNumber(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new UsageError(`${flag} must be a positive number, not "${text}"`);
  return value;
}

function timeBound(flag: string, text: string | undefined): TimeBound | undefined {
  if (text === undefined) return undefined;
  const bound = parseTimeBound(text);
  if (!bound) throw new UsageError(`${flag} "${text}" is neither HH:MM[:SS[.mmm]] nor an ISO date-time`);
  return bound;
}
