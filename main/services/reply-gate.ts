// Which model variant the inference worker is answering with, and how many replies use it now.
// Replies with the variant in use run at once (the worker batches their decode steps); a reply
// that needs another variant waits until none is left, because loading it would replace the
// model under them. Held from before the variant is built or loaded until the reply ends, so no
// other variant's load can slip in between a reply's load and its generation.

/** A variant as the replies ask for it: the model, its precision, and the adapter folded in. */
export interface ReplyVariant {
  modelId: string;
  precision: string;
  adapterId: string | null;
}

interface Waiter {
  variant: ReplyVariant;
  admit(): void;
}

export class ReplyGate {
  private current: ReplyVariant | null = null;
  private holders = 0;
  private waiters: Waiter[] = [];

  /** The variant replies use now, or null when none runs. */
  get inUse(): ReplyVariant | null {
    return this.holders > 0 ? this.current : null;
  }

  /** Replies running now. */
  get replies(): number {
    return this.holders;
  }

  /**
   * Resolves with a release function once the reply may use `variant`: at once when nothing runs
   * or the same variant does, else when the replies using the other one have ended. An abort
   * while waiting rejects with the signal's reason and takes nothing.
   */
  acquire(variant: ReplyVariant, signal?: AbortSignal): Promise<() => void> {
    if (this.holders === 0 || (this.waiters.length === 0 && sameVariant(this.current, variant))) return Promise.resolve(this.take(variant));
    return new Promise<() => void>((resolve, reject) => {
      const waiter: Waiter = {
        variant,
        admit: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve(this.take(variant));
        },
      };
      const onAbort = () => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(signal?.reason instanceof Error ? signal.reason : new Error('The wait for the model was aborted.'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  private take(variant: ReplyVariant): () => void {
    this.current = variant;
    this.holders += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.holders -= 1;
      if (this.holders === 0) this.admitNext();
    };
  }

  /** The first waiter goes in, with every waiter behind it that wants the same variant. */
  private admitNext(): void {
    const first = this.waiters[0];
    if (!first) return;
    const admitted = this.waiters.filter((w) => sameVariant(w.variant, first.variant));
    this.waiters = this.waiters.filter((w) => !admitted.includes(w));
    for (const waiter of admitted) waiter.admit();
  }
}

function sameVariant(a: ReplyVariant | null, b: ReplyVariant): boolean {
  return a !== null && a.modelId === b.modelId && a.precision === b.precision && a.adapterId === b.adapterId;
}
