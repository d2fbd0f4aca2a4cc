// The C allocator settings of a process that trains. The training sessions run without
// onnxruntime's arena (main/train/training-session.ts), so every tensor is a malloc of its own, and glibc's
// malloc raises its mmap threshold each time a large block is freed (up to 32 MB): after the
// first tensors of a step, activations of a few MB come from the heaps of onnxruntime's threads,
// where freed memory is neither returned nor reused across threads. Measured on the Qwen2.5-0.5B
// shape (int4 base, 1 × 256 tokens, recomputed layers; onnxruntime 1.30, glibc), the step's live
// tensors peaked near 0.7 GB above the open session while the process grew to 4.7 GB RSS.
// With a fixed threshold every block over 128 KB is its own mapping, returned when freed.
//
// glibc reads the setting only when a process starts, so a process that trains is started with
// it: the training worker (node-worker-launcher.ts) and the CLI's training commands
// (rerunWithTrainingAllocator). Other C libraries ignore it.
import { spawnSync } from 'node:child_process';

export const TRAINING_ALLOCATOR_ENV: Readonly<Record<string, string>> = { MALLOC_MMAP_THRESHOLD_: String(128 * 1024) };

/** Whether this process started with the training allocator settings. */
export function hasTrainingAllocator(env: NodeJS.ProcessEnv = process.env): boolean {
  return Object.keys(TRAINING_ALLOCATOR_ENV).every((key) => env[key] !== undefined);
}

/**
 * Runs this same command again in a child started with TRAINING_ALLOCATOR_ENV, its output
 * inherited, and returns its exit status; null when this process already has the settings (run
 * the command here).
 */
export function rerunWithTrainingAllocator(): number | null {
  if (hasTrainingAllocator()) return null;
  const child = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit', env: { ...process.env, ...TRAINING_ALLOCATOR_ENV } });
  if (child.error) throw child.error;
  return child.status ?? 1;
}
