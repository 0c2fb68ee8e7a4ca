/**
 * Housekeeping that runs on a timer in a long-lived process (the spool sweep,
 * say): each task's failure is logged with its name and never stops the
 * others or the process; `stop()` clears every timer.
 */
export class PeriodicTasks {
  private readonly timers: NodeJS.Timeout[] = [];

  /** Runs `task` now (unless `now: false`) and then every `ms`; the timer does not keep the process alive. */
  every(name: string, ms: number, task: () => Promise<unknown>, options: { now?: boolean } = {}): void {
    const run = () => {
      task().catch((err) => console.error(`[tasks] ${name} failed:`, err instanceof Error ? err.message : err));
    };
    if (options.now ?? true) run();
    this.timers.push(setInterval(run, ms).unref());
  }

  stop(): void {
    for (const timer of this.timers.splice(0)) clearInterval(timer);
  }
}
