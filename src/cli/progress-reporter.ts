import cliProgress from 'cli-progress';

export interface ProgressCounts {
  /** Photos with an outcome (stored, already there, or failed). */
  done: number;
  failed: number;
  faces: number;
}

export interface ProgressOptions {
  /** A live bar (true) or plain periodic lines (false); default: whether the stream is a terminal. */
  tty?: boolean;
  /** Pace of the plain lines. */
  intervalMs?: number;
  stream?: NodeJS.WriteStream;
}

/** Rate over the last this-many seconds, so that a resumed run's fast skips do not distort the ETA for long. */
const WINDOW_MS = 30_000;

/**
 * Ingestion progress for people: on a terminal a live bar (photos done /
 * total, photos per second, faces found, ETA), elsewhere (CI logs, files,
 * pipes) one plain line every few seconds and one at the end.
 */
export class ProgressReporter {
  private readonly tty: boolean;
  private readonly stream: NodeJS.WriteStream;
  private readonly bar: cliProgress.SingleBar | undefined;
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly samples: { t: number; done: number }[] = [];
  private counts: ProgressCounts = { done: 0, failed: 0, faces: 0 };
  private readonly started = Date.now();
  private stopped = false;

  constructor(
    private readonly total: number,
    private readonly label: string,
    options: ProgressOptions = {},
  ) {
    this.stream = options.stream ?? process.stderr;
    this.tty = options.tty ?? Boolean(this.stream.isTTY);
    this.samples.push({ t: this.started, done: 0 });
    if (this.tty) {
      this.bar = new cliProgress.SingleBar(
        {
          stream: this.stream,
          format: `${label} |{bar}| {value}/{total} photos | {rate} photos/s | {faces} faces | {failed} failed | ETA {etaText}`,
          hideCursor: true,
          clearOnComplete: false,
          barsize: 30,
          fps: 5,
        },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(total, 0, this.payload());
    } else {
      this.timer = setInterval(() => this.line(), options.intervalMs ?? 5000);
      this.timer.unref();
    }
  }

  update(counts: ProgressCounts): void {
    if (this.stopped) return;
    this.counts = { ...counts };
    const now = Date.now();
    this.samples.push({ t: now, done: counts.done });
    while (this.samples.length > 2 && now - this.samples[1].t > WINDOW_MS) this.samples.shift();
    this.bar?.update(counts.done, this.payload());
  }

  /** Ends the display with a final line. */
  stop(summary?: string): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.bar) {
      this.bar.update(this.counts.done, this.payload());
      this.bar.stop();
    } else {
      clearInterval(this.timer);
      this.line();
    }
    if (summary) this.stream.write(`${summary}\n`);
  }

  /** Photos per second over the recent window. */
  rate(): number {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    const seconds = (last.t - first.t) / 1000;
    return seconds > 0 ? (last.done - first.done) / seconds : 0;
  }

  private eta(): string {
    const left = this.total - this.counts.done;
    if (left <= 0) return '0s';
    const rate = this.rate();
    return rate > 0 ? formatDuration(left / rate) : '?';
  }

  private payload() {
    return { rate: this.rate().toFixed(1), faces: this.counts.faces, failed: this.counts.failed, etaText: this.eta() };
  }

  private line(): void {
    const { done, failed, faces } = this.counts;
    const elapsed = formatDuration((Date.now() - this.started) / 1000);
    this.stream.write(
      `${this.label}: ${done}/${this.total} photos (${failed} failed), ${this.rate().toFixed(1)} photos/s, ${faces} faces, ` +
        `elapsed ${elapsed}, ETA ${this.eta()}\n`,
    );
  }
}

export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
