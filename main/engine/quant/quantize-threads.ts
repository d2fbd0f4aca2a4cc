// Runs a quantizer kernel (quantize-kernels.ts) over a tensor's rows on every core, behind the
// quantizer's synchronous API. The weight goes through shared memory a slice of rows at a time
// (at most SHARED_SLICE_VALUES: a large embedding table is not held twice); each slice's rows are
// cut into chunks that the calling thread and worker threads claim from a shared counter, and the
// caller, having run out of chunks, waits (Atomics.wait) until every chunk is done, then copies
// the slice's outputs into the tensor's (ordinary memory). Rows are independent, so the bytes do
// not depend on the split (tested). A build runs in a process of its own, where blocking its
// thread while the cores work is what is wanted.
//
// The workers run the kernels from their source text (new Worker(source, { eval: true })), so
// no separate worker file has to be found at run time: from a checkout (tsx) and from the
// bundled app alike, the functions' compiled text is what runs.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { WeightValues } from '../checkpoint/bf16-weight.ts';
import { KERNEL_FUNCTIONS, runKernel, type KernelJob } from './quantize-kernels.ts';

/** Below this many weights a tensor is quantized on the calling thread: handing it out would cost more than it saves. */
export const THREADED_MIN_VALUES = 1 << 18;
/** The most weights copied into shared memory at once (16 MiB). */
const SHARED_SLICE_VALUES = 1 << 22;
/** Chunks per thread: enough that threads slowed by other work on the machine share the rest. */
const CHUNKS_PER_THREAD = 8;
/** A chunk takes well under a second; if no chunk finishes for this long, a worker is gone and the caller does the whole tensor itself. */
const STALL_MS = 60_000;

/** The chunk loop every thread runs; the control block is [next chunk, chunks done, failed]. */
function claimChunks(job: KernelJob, control: Int32Array, firstRow: number, endRow: number, chunkRows: number, chunks: number): number {
  let claimed = 0;
  for (let chunk = Atomics.add(control, 0, 1); chunk < chunks; chunk = Atomics.add(control, 0, 1)) {
    claimed++;
    const rowStart = firstRow + chunk * chunkRows;
    try {
      runKernel(job, rowStart, Math.min(endRow, rowStart + chunkRows));
    } catch {
      Atomics.store(control, 2, 1);
    }
    if (Atomics.add(control, 1, 1) + 1 === chunks) Atomics.notify(control, 1);
  }
  return claimed;
}

/** What the worker threads did so far in this process: chunks they quantized, and slices in which a chunk failed on them (then redone on the caller's thread). */
export const quantizeThreadStats = { chunksOnWorkers: 0, failedSlices: 0 };

interface ThreadedJob {
  job: KernelJob;
  control: Int32Array;
  firstRow: number;
  endRow: number;
  chunkRows: number;
  chunks: number;
}

const WORKER_SOURCE = `
'use strict';
// Compilers that keep function names (tsx) may wrap functions in __name(fn, name); a minifier
// renames functions, hence \${claimChunks.name} below.
var __name = (fn) => fn;
${KERNEL_FUNCTIONS.map((fn) => fn.toString()).join('\n')}
${claimChunks.toString()}
require('node:worker_threads').parentPort.on('message', (m) => ${claimChunks.name}(m.job, m.control, m.firstRow, m.endRow, m.chunkRows, m.chunks));
`;

let workers: Worker[] = [];
let workersFailed = false;

/** Up to `count` started workers (fewer, or none, where worker threads cannot start). */
function workerPool(count: number): Worker[] {
  while (!workersFailed && workers.length < count) {
    try {
      const worker = new Worker(WORKER_SOURCE, { eval: true });
      worker.unref(); // idle workers never keep the process alive
      worker.on('error', () => {
        workers = workers.filter((w) => w !== worker);
      });
      workers.push(worker);
    } catch {
      workersFailed = true;
    }
  }
  return workers.slice(0, count);
}

/** A kernel job's weight fields for `values`: float32 ones, or bfloat16 bits that the threads widen (runKernelOnThreads). */
export function kernelWeight(values: WeightValues): { weight: Float32Array; weightBf16: Uint16Array | null } {
  return values instanceof Float32Array ? { weight: values, weightBf16: null } : { weight: new Float32Array(0), weightBf16: values.bf16 };
}

/** Threads the quantizer uses by default: every core. */
export function defaultQuantizeThreads(): number {
  return availableParallelism();
}

/**
 * Runs `job` (its weight and outputs: the whole tensor, in ordinary memory, firstRow 0) over all
 * `rows` rows, `rowLength` values each, on up to `threads` threads, this one included.
 */
export function runKernelOnThreads(job: KernelJob, rows: number, rowLength: number, threads: number, sliceValues = SHARED_SLICE_VALUES): void {
  const pool = threads > 1 && rows > 1 ? workerPool(threads - 1) : [];
  if (pool.length === 0) {
    // A bfloat16 weight is widened here, a whole tensor at once, as the kernel needs it.
    runKernel(job.weightBf16 && job.weight.length < job.weightBf16.length ? { ...job, weight: new Float32Array(job.weightBf16.length) } : job, 0, rows);
    return;
  }
  const sliceRows = Math.max(1, Math.min(rows, Math.floor(sliceValues / rowLength)));
  for (let firstRow = 0; firstRow < rows; firstRow += sliceRows) {
    const endRow = Math.min(rows, firstRow + sliceRows);
    const slice = sliceJob(job, rows, rowLength, firstRow, endRow);
    runSlice(slice, firstRow, endRow, pool);
    copyOut(slice, job, rows, firstRow, endRow);
  }
}

/**
 * Shared memory that the workers read and write, kept from one slice and one tensor to the next:
 * the weight slice, then the outputs (packed or int8 levels, scales, zero points), then a
 * bfloat16 weight slice. Workers see
 * only these few buffers, so no worker keeps a tensor's memory alive once it is done (a worker's
 * heap is collected rarely), and no buffer is allocated (and zeroed) per tensor.
 */
const scratch: (SharedArrayBuffer | null)[] = [null, null, null, null, null];

type ScratchKind<T> = { new (buffer: SharedArrayBuffer, offset: number, length: number): T; BYTES_PER_ELEMENT: number };

function scratchView<T extends Float32Array | Uint8Array | Int8Array | Uint16Array>(slot: number, kind: ScratchKind<T>, length: number): T {
  const bytes = length * kind.BYTES_PER_ELEMENT;
  let buffer = scratch[slot];
  if (!buffer || buffer.byteLength < bytes) buffer = scratch[slot] = new SharedArrayBuffer(Math.max(bytes, 64));
  return new kind(buffer, 0, length);
}

/**
 * The job over rows [firstRow, endRow) on the scratch buffers, its weight rows copied in: float32
 * ones, or bfloat16 ones (half the bytes) that each thread widens into the float32 scratch itself.
 */
function sliceJob(job: KernelJob, rows: number, rowLength: number, firstRow: number, endRow: number): KernelJob {
  const count = endRow - firstRow;
  const weight = scratchView(0, Float32Array, count * rowLength);
  let weightBf16: Uint16Array | null = null;
  if (job.weightBf16) {
    weightBf16 = scratchView(4, Uint16Array, count * rowLength);
    weightBf16.set(job.weightBf16.subarray(firstRow * rowLength, endRow * rowLength));
  } else {
    weight.set(job.weight.subarray(firstRow * rowLength, endRow * rowLength));
  }
  if (job.kernel === 'matMulNBits') {
    return {
      ...job,
      weight,
      weightBf16,
      firstRow,
      packed: scratchView(1, Uint8Array, (job.packed.length / rows) * count),
      scales: scratchView(2, Float32Array, (job.scales.length / rows) * count),
      zeroPoints: job.zeroPoints && scratchView(3, Uint8Array, (job.zeroPoints.length / rows) * count),
    };
  }
  return { ...job, weight, weightBf16, firstRow, columns: count, quantized: scratchView(1, Int8Array, job.inFeatures * count), scales: scratchView(2, Float32Array, count) };
}

/** Copies a slice job's outputs into the whole tensor's. */
function copyOut(slice: KernelJob, job: KernelJob, rows: number, firstRow: number, endRow: number): void {
  const count = endRow - firstRow;
  if (slice.kernel === 'matMulNBits' && job.kernel === 'matMulNBits') {
    job.packed.set(slice.packed, (job.packed.length / rows) * firstRow);
    job.scales.set(slice.scales, (job.scales.length / rows) * firstRow);
    if (job.zeroPoints && slice.zeroPoints) job.zeroPoints.set(slice.zeroPoints, (job.zeroPoints.length / rows) * firstRow);
  } else if (slice.kernel === 'perChannelInt8' && job.kernel === 'perChannelInt8') {
    // The column band [in, count] into [in, out] at column firstRow.
    for (let k = 0; k < job.inFeatures; k++) job.quantized.set(slice.quantized.subarray(k * count, (k + 1) * count), k * job.columns + firstRow);
    job.scales.set(slice.scales, firstRow);
  }
}

/** Rows [firstRow, endRow) of a slice job (its arrays: the scratch buffers), on this thread and `pool`. */
function runSlice(job: KernelJob, firstRow: number, endRow: number, pool: Worker[]): void {
  const chunkRows = Math.max(1, Math.ceil((endRow - firstRow) / ((pool.length + 1) * CHUNKS_PER_THREAD)));
  const chunks = Math.ceil((endRow - firstRow) / chunkRows);
  const control = new Int32Array(new SharedArrayBuffer(3 * Int32Array.BYTES_PER_ELEMENT));
  const message: ThreadedJob = { job, control, firstRow, endRow, chunkRows, chunks };
  for (const worker of pool) worker.postMessage(message);
  const claimedHere = claimChunks(job, control, firstRow, endRow, chunkRows, chunks);
  let done = Atomics.load(control, 1);
  while (done < chunks) {
    if (Atomics.wait(control, 1, done, STALL_MS) === 'timed-out' && Atomics.load(control, 1) === done) {
      // A worker died holding a chunk: stop the workers, quantize on this thread from now on, and
      // redo the slice here. The scratch buffer is let go, so a late write can only repeat old bytes.
      for (const worker of workers) void worker.terminate();
      workers = [];
      workersFailed = true;
      scratch.fill(null);
      runKernel(job, firstRow, endRow);
      return;
    }
    done = Atomics.load(control, 1);
  }
  quantizeThreadStats.chunksOnWorkers += chunks - claimedHere;
  if (Atomics.load(control, 2) !== 0) {
    quantizeThreadStats.failedSlices++;
    runKernel(job, firstRow, endRow); // rethrows here what failed on a worker
  }
}
