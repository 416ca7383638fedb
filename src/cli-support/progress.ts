import { SingleBar, Presets } from 'cli-progress';

/** Progress of one phase (reading logs, replaying, a campaign): a bar on a terminal, plain lines otherwise. */
export interface Progress {
  /**
   * `alreadyDone`: what was done before watching began (a campaign joined while running); the
   * rate and ETA count only what is done after it, not a head start as if done in no time.
   */
  start(total: number, alreadyDone?: number): void;
  increment(by?: number): void;
  /** Sets how much is done, for progress read from elsewhere (a campaign's counts); `detail` follows the figures. */
  update(done: number, detail?: string): void;
  stop(): void;
}

/**
 * The unit to count `bytes` in, so neither figure rounds to nothing: a 20 KB log reads
 * "12.5/19.5 KB", not "0/0 MB"; bytes under 1 KB, KB under 10 MB, MB above.
 */
export function sizeUnit(bytes: number): { unit: string; scale: number } {
  if (bytes < 1024) return { unit: 'bytes', scale: 1 };
  if (bytes < 10 * 1024 * 1024) return { unit: 'KB', scale: 1024 };
  return { unit: 'MB', scale: 1024 * 1024 };
}

/** Plain lines are written at most this often, so CI logs stay short. */
const PLAIN_INTERVAL_MS = 5000;

/**
 * `unit` names what is counted ("requests", "MB"); `scale` turns raw counts into that unit
 * (bytes into MB). Progress goes to stderr so stdout keeps only the summary.
 */
export function createProgress(label: string, unit: string, scale = 1, stream: NodeJS.WriteStream = process.stderr): Progress {
  return stream.isTTY ? new BarProgress(label, unit, scale, stream) : new PlainProgress(label, unit, scale, stream);
}

class BarProgress implements Progress {
  private readonly bar: SingleBar;
  private readonly pace = new Pace();
  private done = 0;
  private total = 0;

  constructor(
    label: string,
    unit: string,
    private readonly scale: number,
    stream: NodeJS.WriteStream,
  ) {
    this.bar = new SingleBar(
      {
        // Our own line, fitted to the terminal's width (cli-progress cuts a longer one at the edge).
        format: (_options, params, payload: LinePayload) => fitLine(params.maxWidth, { label, unit, value: params.value, total: params.total, ...payload }),
        stream,
        hideCursor: true,
      },
      Presets.shades_classic,
    );
  }

  start(total: number, alreadyDone = 0): void {
    this.pace.start(alreadyDone);
    this.total = total;
    this.done = alreadyDone;
    this.bar.start(this.scaled(total), this.scaled(alreadyDone), this.payload(''));
  }

  increment(by = 1): void {
    this.update(this.done + by);
  }

  update(done: number, detail = ''): void {
    this.done = done;
    this.bar.update(this.scaled(this.done), this.payload(detail));
  }

  stop(): void {
    this.bar.stop();
  }

  private payload(detail: string): Omit<LinePayload, 'value' | 'total'> {
    return { rate: this.pace.rate(this.done, this.scale), etaText: this.pace.eta(this.done, this.total), detail, progress: this.total > 0 ? Math.min(1, this.done / this.total) : 0 };
  }

  /** Whole counts stay whole; scaled units (MB) keep one decimal, so a small file is not "0/0 MB". */
  private scaled(value: number): number {
    return this.scale === 1 ? value : Math.round((value / this.scale) * 10) / 10;
  }
}

interface LinePayload {
  rate: string;
  etaText: string;
  detail: string;
  progress: number;
}

const BAR_WIDTH = { max: 40, min: 10 };

/**
 * The bar's line within `width` columns. The figures matter more than the drawing: the bar shrinks
 * first (to 10 cells), then goes, then the rate and ETA; the counts (done/total and `detail`) stay.
 */
export function fitLine(width: number, line: LinePayload & { label: string; unit: string; value: number; total: number }): string {
  const counts = ` ${amount(line.value)}/${amount(line.total)} ${line.unit}`;
  const pace = ` | ${line.rate}/s | ETA ${line.etaText}`;
  const detail = line.detail && ` | ${line.detail}`;
  // The last column is left free: a character there wraps the line on some terminals.
  const room = width - 1;
  const withPace = `${counts}${pace}${detail}`;
  const barCells = Math.min(BAR_WIDTH.max, room - line.label.length - ' []'.length - withPace.length);
  if (barCells >= BAR_WIDTH.min) return `${line.label} [${drawBar(line.progress, barCells)}]${withPace}`;
  if (line.label.length + withPace.length <= room) return `${line.label}${withPace}`;
  return `${line.label}${counts}${detail}`;
}

function drawBar(progress: number, cells: number): string {
  const complete = Math.round(progress * cells);
  return '\u2588'.repeat(complete) + '\u2591'.repeat(cells - complete);
}

/**
 * Rate and ETA from what was done since watching began: joining a campaign with 300,000 rows
 * settled must not read as 300,000 rows a second.
 */
class Pace {
  private startedAt = 0;
  private doneAtStart = 0;

  start(alreadyDone: number): void {
    this.startedAt = performance.now();
    this.doneAtStart = alreadyDone;
  }

  /** Units per second since the start, in the unit shown (`scale` turns bytes into MB). */
  rate(done: number, scale: number): string {
    const seconds = (performance.now() - this.startedAt) / 1000;
    const perSecond = seconds > 0 ? Math.max(0, done - this.doneAtStart) / scale / seconds : 0;
    return perSecond.toFixed(perSecond < 10 ? 1 : 0);
  }

  /** Seconds left at the rate seen so far; "…" until something is done to measure it by. */
  eta(done: number, total: number): string {
    if (done >= total) return '0 s';
    const seconds = (performance.now() - this.startedAt) / 1000;
    const observed = done - this.doneAtStart;
    if (observed <= 0 || seconds <= 0) return '…';
    return `${Math.ceil(((total - done) / observed) * seconds)} s`;
  }
}

class PlainProgress implements Progress {
  private readonly pace = new Pace();
  private total = 0;
  private done = 0;
  private detail = '';
  private doneAtLastLine = -1;
  private lastLineAt = 0;

  constructor(
    private readonly label: string,
    private readonly unit: string,
    private readonly scale: number,
    private readonly stream: NodeJS.WriteStream,
  ) {}

  start(total: number, alreadyDone = 0): void {
    this.total = total;
    this.done = alreadyDone;
    this.pace.start(alreadyDone);
    this.lastLineAt = performance.now();
  }

  increment(by = 1): void {
    this.update(this.done + by, this.detail);
  }

  update(done: number, detail = ''): void {
    this.done = done;
    this.detail = detail;
    if (performance.now() - this.lastLineAt >= PLAIN_INTERVAL_MS) this.writeLine();
  }

  stop(): void {
    if (this.done !== this.doneAtLastLine || this.done === 0) this.writeLine();
  }

  private writeLine(): void {
    this.lastLineAt = performance.now();
    this.doneAtLastLine = this.done;
    const done = this.done / this.scale;
    const total = this.total / this.scale;
    const rate = Number(this.pace.rate(this.done, this.scale));
    const eta = this.done > 0 ? `, ETA ${this.pace.eta(this.done, this.total)}` : '';
    this.stream.write(`${this.label}: ${amount(done)}/${amount(total)} ${this.unit}, ${rate}/s${eta}${this.detail && `, ${this.detail}`}\n`);
  }
}

function amount(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}
