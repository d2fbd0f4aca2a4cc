// How much of the machine other processes used while a benchmark ran. Timings on a shared
// 2-core machine swing by 2-3x when something else runs (tests, builds of other work), so
// each result carries this figure to tell a slow engine from a busy machine. Linux only
// (/proc/stat); elsewhere the figure is null.
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/** Busy CPU time of the whole machine so far, in ms (user + nice + system + irq + softirq + steal). */
function machineBusyMs(): number | null {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const [user, nice, system, , , irq, softirq, steal] = fields;
    // /proc/stat counts in clock ticks of 1/100 s on every Linux Node runs on.
    return (user + nice + system + irq + softirq + (steal ?? 0)) * 10;
  } catch {
    return null;
  }
}

function ownCpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

export interface ContentionMeter {
  /** Percent of all cores' time (0-100) that other processes used since the meter started; null where unknown. */
  stop(): number | null;
}

/**
 * Starts measuring. `measuredCpuMs` is the CPU time of what is being measured (default: this
 * process); a benchmark of a child process passes the child's.
 */
export function startContentionMeter(measuredCpuMs: () => number = ownCpuMs): ContentionMeter {
  const startedAt = performance.now();
  const machineStart = machineBusyMs();
  const ownStart = measuredCpuMs();
  return {
    stop() {
      const machineEnd = machineBusyMs();
      if (machineStart === null || machineEnd === null) return null;
      const wallMs = performance.now() - startedAt;
      if (wallMs < 200) return null; // shorter than a few ticks: no meaningful figure
      const others = machineEnd - machineStart - (measuredCpuMs() - ownStart);
      return Math.max(0, Math.min(100, (others / (wallMs * availableParallelism())) * 100));
    },
  };
}
