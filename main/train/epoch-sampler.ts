// The order training examples are visited in: a fresh seeded shuffle at the start of every
// epoch, then consecutive batches (the last one of an epoch may be smaller, as Hugging Face's
// default data loader does). Its whole state (generator, order, position) goes into checkpoints,
// so a resumed run visits exactly the batches an uninterrupted one would.
import { SeededRandom } from '../engine/runtime/seeded-random.ts';

export interface EpochSamplerState {
  epoch: number;
  /** Example indices of the current epoch, in visiting order. */
  order: number[];
  /** Next position in `order`. */
  position: number;
  random: [number, number, number, number];
}

export class EpochSampler {
  private epochValue: number;
  private order: number[];
  private position: number;

  private constructor(
    private readonly size: number,
    readonly random: SeededRandom,
    state?: Omit<EpochSamplerState, 'random'>,
  ) {
    this.epochValue = state?.epoch ?? 0;
    this.order = state?.order ?? this.shuffled();
    this.position = state?.position ?? 0;
  }

  static start(size: number, seed: number): EpochSampler {
    return new EpochSampler(size, new SeededRandom(seed));
  }

  static resume(size: number, state: EpochSamplerState): EpochSampler {
    if (state.order.length !== size) throw new Error(`The checkpoint's data order covers ${state.order.length} examples, but the dataset now has ${size}: resume with the same data.`);
    return new EpochSampler(size, SeededRandom.fromState(state.random), state);
  }

  /** Completed epochs plus the fraction of the current one. */
  get epoch(): number {
    return this.epochValue + this.position / this.size;
  }

  /** The next batch's example indices. */
  nextBatch(batchSize: number): number[] {
    if (this.position >= this.size) {
      this.epochValue++;
      this.order = this.shuffled();
      this.position = 0;
    }
    const batch = this.order.slice(this.position, this.position + batchSize);
    this.position += batch.length;
    return batch;
  }

  /** Batches per epoch. */
  batchesPerEpoch(batchSize: number): number {
    return Math.ceil(this.size / batchSize);
  }

  state(): EpochSamplerState {
    return { epoch: this.epochValue, order: [...this.order], position: this.position, random: this.random.getState() };
  }

  private shuffled(): number[] {
    const order = Array.from({ length: this.size }, (_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(this.random.next() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    return order;
  }
}
