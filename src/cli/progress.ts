import { SingleBar, Presets } from 'cli-progress';

/** Progress of one phase (reading logs, replaying, a campaign): a bar on a terminal, plain lines otherwise. */
export interface Progress {
  start(total: number): void;
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
  private startedAt = 0;
  private done = 0;
  private total = 0;

  constructor(
    label: string,
    unit: string,
    private readonly scale: number,
    stream: NodeJS.WriteStream,
  ) {
    this.bar = new SingleBar(
      // Our own ETA: cli-progress prints "LLs" (its "NULL", cut to two characters) until it can estimate.
      { format: `${label} [{bar}] {value}/{total} ${unit} | {rate}/s | ETA {etaText}{detail}`, stream, hideCursor: true },
      Presets.shades_classic,
    );
  }

  start(total: number): void {
    this.startedAt = performance.now();
    this.total = total;
    this.bar.start(this.scaled(total), 0, { rate: '0', etaText: etaText(0, total, this.startedAt), detail: '' });
  }

  increment(by = 1): void {
    this.update(this.done + by);
  }

  update(done: number, detail = ''): void {
    this.done = done;
    this.bar.update(this.scaled(this.done), {
      rate: ratePerSecond(this.done / this.scale, this.startedAt),
      etaText: etaText(this.done, this.total, this.startedAt),
      detail: detail && ` | ${detail}`,
    });
  }

  stop(): void {
    this.bar.stop();
  }

  /** Whole counts stay whole; scaled units (MB) keep one decimal, so a small file is not "0/0 MB". */
  private scaled(value: number): number {
    return this.scale === 1 ? value : Math.round((value / this.scale) * 10) / 10;
  }
}

class PlainProgress implements Progress {
  private total = 0;
  private done = 0;
  private detail = '';
  private doneAtLastLine = -1;
  private startedAt = 0;
  private lastLineAt = 0;

  constructor(
    private readonly label: string,
    private readonly unit: string,
    private readonly scale: number,
    private readonly stream: NodeJS.WriteStream,
  ) {}

  start(total: number): void {
    this.total = total;
    this.startedAt = this.lastLineAt = performance.now();
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
    const rate = Number(ratePerSecond(this.done / this.scale, this.startedAt));
    const eta = this.done > 0 ? `, ETA ${etaText(this.done, this.total, this.startedAt)}` : '';
    this.stream.write(`${this.label}: ${amount(done)}/${amount(total)} ${this.unit}, ${rate}/s${eta}${this.detail && `, ${this.detail}`}\n`);
  }
}

function amount(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

/** Seconds left at the rate so far; "…" until something is done to measure it by. */
function etaText(done: number, total: number, startedAt: number): string {
  if (done >= total) return '0 s';
  const seconds = (performance.now() - startedAt) / 1000;
  if (done <= 0 || seconds <= 0) return '…';
  return `${Math.ceil(((total - done) / done) * seconds)} s`;
}

function ratePerSecond(done: number, startedAt: number): string {
  const seconds = (performance.now() - startedAt) / 1000;
  return seconds > 0 ? (done / seconds).toFixed(done / seconds < 10 ? 1 : 0) : '0';
}
