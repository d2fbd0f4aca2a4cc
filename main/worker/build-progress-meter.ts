// How far a build has come and how long it has left, told from what can be seen from outside the
// builder: its step (embeddings, layer i of n, output head) and the bytes in its output folder.
// The bytes against the planner's figure for the weights give a fraction that moves within a
// step (a step of a large model is a whole layer); without that figure the steps do. The time
// left is the time so far scaled by what remains, once enough is done for the rate to mean
// something.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Below this fraction done (or this much time spent) the rate is too young to predict from. */
const MIN_FRACTION_FOR_ETA = 0.02;
const MIN_ELAPSED_FOR_ETA_MS = 500;

export interface BuildProgressReading {
  done: number;
  total: number;
  label: string;
  bytesWritten: number;
  etaMs: number | null;
}

export class BuildProgressMeter {
  private readonly outDir: string;
  private readonly expectedBytes: number | null;
  private readonly now: () => number;
  private readonly startedAt: number;
  private step = { done: 0, total: 1, label: 'reading the model' };

  constructor(outDir: string, expectedBytes: number | null, now: () => number = Date.now) {
    this.outDir = outDir;
    this.expectedBytes = expectedBytes;
    this.now = now;
    this.startedAt = now();
  }

  /** The builder's own report: `done` steps of `total`, and what it is building. */
  setStep(done: number, total: number, label: string): void {
    this.step = { done, total: Math.max(1, total), label };
  }

  read(): BuildProgressReading {
    const bytesWritten = folderBytes(this.outDir);
    return { ...this.step, bytesWritten, etaMs: this.eta(this.fraction(bytesWritten)) };
  }

  /** 0..1 of the build done. */
  private fraction(bytesWritten: number): number {
    const byStep = Math.min(1, this.step.done / this.step.total);
    if (this.expectedBytes === null || byStep >= 1) return byStep;
    // The planner's figure is an estimate: never behind the steps, never done before the builder says so.
    return Math.min(0.99, Math.max(byStep, bytesWritten / this.expectedBytes));
  }

  private eta(fraction: number): number | null {
    const elapsed = this.now() - this.startedAt;
    if (fraction >= 1) return 0;
    if (fraction < MIN_FRACTION_FOR_ETA || elapsed < MIN_ELAPSED_FOR_ETA_MS) return null;
    return Math.round((elapsed * (1 - fraction)) / fraction);
  }
}

/** The bytes of the files directly in `dir` (a build writes no subfolders); 0 while it does not exist. */
export function folderBytes(dir: string): number {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return 0;
  }
  let bytes = 0;
  for (const name of names) {
    try {
      const stat = statSync(join(dir, name));
      if (stat.isFile()) bytes += stat.size;
    } catch {
      // Removed between the listing and the look (the build replaced it).
    }
  }
  return bytes;
}
