// A progress bar on stderr for long CLI work (builds), silent when stderr is not a terminal
// except for a final line, so logs stay readable.
import cliProgress from 'cli-progress';

export function createProgressBar(title: string): { update(done: number, total: number, label: string): void; stop(): void } {
  if (!process.stderr.isTTY) {
    return { update() {}, stop() {} };
  }
  const bar = new cliProgress.SingleBar(
    { format: `${title} [{bar}] {percentage}% | {label}`, stream: process.stderr, hideCursor: true, clearOnComplete: true },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(done, total, label) {
      if (!started) {
        bar.start(total, done, { label });
        started = true;
      } else bar.update(done, { label });
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
