// Continuous batching for one loaded model: many sequences generate at once, and the decode
// steps they ask for at about the same time run as one model call over a batch of them.
//
// Each sequence is a BatchedSequence (a CachedSequence with its own batch-1 KV cache). Prompts
// (any call of more than one token, or wanting every position's logits) run alone, batch 1, in
// the sequence's own cache. A one-token decode step is queued instead; the queue is run on the
// next macrotask, by when every generation loop whose previous step just finished has sampled
// its next token and queued it too. The queued sequences then decode as one batch: their KV
// rows sit in a BatchKvRows, right-padded to the longest, each row writing its new token at its
// own length (GroupQueryAttention's seqlens_k). A sequence joins the batch (its KV copied in)
// the first time it decodes beside another, and leaves it (copied back) when it runs a prompt,
// is cut back, or misses a step (its generation ended or paused): a finished sequence frees its
// row, and the others go on. When only one sequence decodes, it runs in its own cache as if
// nothing were batched, so a single stream keeps its exact path and speed.
//
// One model call at a time: prompts and batch steps take turns through one queue. Models whose
// cache cannot be batched (reference attention, WebGPU's growing cache) still interleave
// sequences step by step through that queue, one sequence per call.
import { Tensor } from 'onnxruntime-node';
import { ATTENTION_MASK, INPUT_IDS, LOGITS, NUM_LOGITS_TO_KEEP, POSITION_IDS } from '../graph-io.ts';
import { BatchKvRows, type RowPlan } from './batch-kv-rows.ts';
import { CachedSequence, contextLengthFor, defaultCacheKind, type LogitsToKeep } from './cached-sequence.ts';
import { ContextFullError, type KvFeeds, type KvFetches } from './kv-cache.ts';
import type { LoadedModel } from './model-session.ts';

interface PendingStep {
  sequence: BatchedSequence;
  id: number;
  resolve(logits: Float32Array): void;
  reject(error: unknown): void;
}

export interface BatchedDecoderStats {
  /** Model calls that decoded more than one sequence. */
  batchedSteps: number;
  /** Sequences decoded by those calls, all together. */
  batchedTokens: number;
  /** Decode steps of one sequence alone. */
  singleSteps: number;
}

export class BatchedDecoder {
  readonly model: LoadedModel;
  /** False where the model's cache cannot be batched: sequences then take turns one call each. */
  readonly batching: boolean;
  private readonly rows: BatchKvRows;
  /** The sequences whose KV is in `rows`, in row order. */
  private members: BatchedSequence[] = [];
  private pending: PendingStep[] = [];
  private flushScheduled = false;
  /** Settles when the model call running now (and those queued before) are done. */
  private queue: Promise<void> = Promise.resolve();
  private readonly live = new Set<BatchedSequence>();
  /** True while a batch call runs: its rows must not move until it ends. */
  private decoding = false;
  readonly stats: BatchedDecoderStats = { batchedSteps: 0, batchedTokens: 0, singleSteps: 0 };

  constructor(model: LoadedModel) {
    this.model = model;
    this.batching = defaultCacheKind(model) === 'shared-buffer';
    const { spec, manifest } = model;
    this.rows = new BatchKvRows({ numLayers: spec.numLayers, numKvHeads: spec.attention.numKvHeads, headDim: spec.attention.headDim, dtype: manifest.kvDtype });
  }

  /** A new, empty sequence that decodes in this decoder's batches. */
  openSequence(contextLength?: number): BatchedSequence {
    const sequence = new BatchedSequence(this, contextLengthFor(this.model, contextLength));
    this.live.add(sequence);
    return sequence;
  }

  /** Sequences open now (not disposed). */
  get openSequences(): number {
    return this.live.size;
  }

  /** Sequences whose KV sits in the batch now. */
  get batchRows(): number {
    return this.members.length;
  }

  /** Runs `work` (a model call) when the calls queued before it are done. */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.then(
      () => {},
      () => {},
    );
    return run;
  }

  /** Queues one decode step of `sequence`; resolves with the logits of the token fed. */
  step(sequence: BatchedSequence, id: number): Promise<Float32Array> {
    return new Promise<Float32Array>((resolve, reject) => {
      this.pending.push({ sequence, id, resolve, reject });
      this.scheduleFlush();
    });
  }

  /** Takes the sequence's KV out of the batch (back into its own cache) before it is used alone. */
  leave(sequence: BatchedSequence): void {
    const row = this.members.indexOf(sequence);
    if (row < 0) return;
    this.rows.copyOut(row, sequence.length, sequence.cache);
    this.dropRow(row);
  }

  /** Forgets a disposed sequence; its row, if it had one, is dropped without a copy (after the batch running now, if any). */
  forget(sequence: BatchedSequence): void {
    this.live.delete(sequence);
    const row = this.members.indexOf(sequence);
    if (row >= 0 && !this.decoding) this.dropRow(row);
  }

  private dropRow(row: number): void {
    const kept = this.members.filter((_, index) => index !== row);
    if (kept.length === 0) {
      this.rows.clear();
      this.members = [];
      return;
    }
    const plan: RowPlan[] = kept.map((member) => ({ source: { kind: 'batch', row: this.members.indexOf(member) }, length: member.length }));
    this.rows.relayout(plan, Math.max(...kept.map((member) => member.length)), this.capacityOf(kept));
    this.members = kept;
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // A macrotask later: the loops woken by the last step queue their next tokens first.
    setImmediate(() => {
      this.flushScheduled = false;
      void this.exclusive(() => this.flush());
    });
  }

  private async flush(): Promise<void> {
    const steps = this.pending;
    this.pending = [];
    if (steps.length === 0) return;
    try {
      if (!this.batching) {
        // One call per sequence, in turn: concurrency without a batch.
        for (const step of steps) await step.sequence.feedAlone([step.id]).then(step.resolve, step.reject);
        this.stats.singleSteps += steps.length;
        return;
      }
      const decoding = new Set(steps.map((step) => step.sequence));
      // Members that did not ask for a step leave: their generation ended or waits on something.
      for (const member of [...this.members]) if (!decoding.has(member)) this.leave(member);
      if (steps.length === 1) {
        const [only] = steps;
        this.leave(only.sequence);
        only.resolve(await only.sequence.feedAlone([only.id]));
        this.stats.singleSteps += 1;
        return;
      }
      const logits = await this.decodeBatch(steps);
      steps.forEach((step, index) => step.resolve(logits[index]));
    } catch (error) {
      for (const step of steps) step.reject(error);
    } finally {
      // Sequences disposed while the batch ran leave it now that nothing else writes to it.
      for (const sequence of this.members.filter((member) => member.isDisposed)) this.dropRow(this.members.indexOf(sequence));
      if (this.pending.length > 0) this.scheduleFlush();
    }
  }

  /** One model call decoding every step's token; returns each step's logits. */
  private async decodeBatch(steps: readonly PendingStep[]): Promise<Float32Array[]> {
    for (const { sequence } of steps) {
      if (sequence.length + 1 > sequence.capacity) {
        throw new ContextFullError(`The context holds ${sequence.capacity} tokens: ${sequence.length} cached plus 1 new one do not fit.`);
      }
    }
    // Rows in the order of the steps: members keep their data, newcomers are copied in.
    const ordered = steps.map((step) => step.sequence);
    const needed = Math.max(...ordered.map((sequence) => sequence.length + 1));
    const sameRows = ordered.length === this.members.length && ordered.every((sequence, index) => this.members[index] === sequence);
    if (!sameRows || needed > this.rows.slots) {
      const plan: RowPlan[] = ordered.map((sequence) => {
        const row = this.members.indexOf(sequence);
        return { source: row >= 0 ? { kind: 'batch', row } : { kind: 'cache', cache: sequence.cache }, length: sequence.length };
      });
      this.rows.relayout(plan, needed, this.capacityOf(ordered));
      this.members = ordered;
    }

    const batch = steps.length;
    const width = needed;
    const inputIds = new BigInt64Array(batch);
    const positions = new BigInt64Array(batch);
    const mask = new BigInt64Array(batch * width);
    steps.forEach(({ sequence, id }, row) => {
      inputIds[row] = BigInt(id);
      positions[row] = BigInt(sequence.length);
      // Right padding: the row's cached tokens and its new one, then nothing.
      mask.fill(1n, row * width, row * width + sequence.length + 1);
    });
    const feeds: KvFeeds = {
      [INPUT_IDS]: new Tensor('int64', inputIds, [batch, 1]),
      [ATTENTION_MASK]: new Tensor('int64', mask, [batch, width]),
      [POSITION_IDS]: new Tensor('int64', positions, [batch, 1]),
      [NUM_LOGITS_TO_KEEP]: new Tensor('int64', new BigInt64Array([1n]), []),
    };
    this.rows.addPastFeeds(feeds);
    const fetches: KvFetches = { [LOGITS]: null };
    this.rows.addPresentFetches(fetches);
    this.decoding = true;
    let outputs;
    try {
      outputs = await this.model.session.run(feeds, fetches);
    } finally {
      this.decoding = false;
    }
    const logits = outputs[LOGITS].data as Float32Array;
    const vocab = this.model.spec.vocabSize;
    this.stats.batchedSteps += 1;
    this.stats.batchedTokens += batch;
    return steps.map(({ sequence, id }, row) => {
      sequence.recordDecoded(id);
      return logits.subarray(row * vocab, (row + 1) * vocab);
    });
  }

  private capacityOf(sequences: readonly BatchedSequence[]): number {
    return Math.max(...sequences.map((sequence) => sequence.capacity));
  }

  /** Forgets every sequence and the batch (the model is being released). */
  dispose(): void {
    for (const sequence of [...this.live]) sequence.dispose();
    this.rows.clear();
    this.members = [];
  }
}

/** A sequence whose one-token decode steps are batched with other sequences' by its decoder. */
export class BatchedSequence extends CachedSequence {
  private readonly decoder: BatchedDecoder;
  private disposed = false;

  constructor(decoder: BatchedDecoder, contextLength: number) {
    super(decoder.model, { contextLength });
    this.decoder = decoder;
  }

  override feed(ids: readonly number[], keep: LogitsToKeep): Promise<Float32Array> {
    if (this.disposed) return Promise.reject(new Error('This sequence was disposed; open a new one.'));
    if (ids.length === 1 && keep === 'last') return this.decoder.step(this, ids[0]);
    return this.decoder.exclusive(async () => {
      this.decoder.leave(this);
      return super.feed(ids, keep);
    });
  }

  /** Runs a call in this sequence's own cache (the decoder's queue holds the model). */
  feedAlone(ids: readonly number[]): Promise<Float32Array> {
    this.decoder.leave(this);
    return super.feed(ids, 'last');
  }

  /** The decoder fed `id` through the batch: the token is now cached (in the batch's row). */
  recordDecoded(id: number): void {
    this.fed.push(id);
  }

  override truncate(length: number): number {
    // Its own cache holds the truth again before it is cut.
    this.decoder.leave(this);
    return super.truncate(length);
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  override dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.decoder.forget(this);
    super.dispose();
  }
}
