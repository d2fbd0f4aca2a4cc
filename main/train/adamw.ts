// AdamW as PyTorch's torch.optim.AdamW computes it (decoupled weight decay, bias-corrected
// moments, ε added after the square root), run in JavaScript: LoRA matrices are small. The
// moments are float32 like PyTorch's, and the state is plain arrays so checkpoints can hold it.

export interface AdamWSettings {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

export const DEFAULT_ADAMW: AdamWSettings = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 };

export interface AdamWState {
  /** Optimizer steps taken. */
  step: number;
  /** First and second moments per parameter name. */
  m: Map<string, Float32Array>;
  v: Map<string, Float32Array>;
}

export class AdamW {
  readonly state: AdamWState;

  constructor(
    readonly settings: AdamWSettings,
    state?: AdamWState,
  ) {
    this.state = state ?? { step: 0, m: new Map(), v: new Map() };
  }

  /** Updates each parameter in place from its gradient, at learning rate `lr`. */
  update(parameters: ReadonlyMap<string, Float32Array>, grads: ReadonlyMap<string, Float32Array>, lr: number): void {
    const { beta1, beta2, eps, weightDecay } = this.settings;
    this.state.step += 1;
    const t = this.state.step;
    const stepSize = lr / (1 - beta1 ** t);
    const correction2 = Math.sqrt(1 - beta2 ** t);
    for (const [name, p] of parameters) {
      const g = grads.get(name);
      if (!g) throw new Error(`AdamW: no gradient for ${name}`);
      const m = this.moment(this.state.m, name, p.length);
      const v = this.moment(this.state.v, name, p.length);
      const decay = 1 - lr * weightDecay;
      for (let i = 0; i < p.length; i++) {
        if (weightDecay !== 0) p[i] *= decay;
        m[i] += (g[i] - m[i]) * (1 - beta1);
        v[i] = v[i] * beta2 + (1 - beta2) * g[i] * g[i];
        p[i] -= (stepSize * m[i]) / (Math.sqrt(v[i]) / correction2 + eps);
      }
    }
  }

  private moment(store: Map<string, Float32Array>, name: string, length: number): Float32Array {
    let moment = store.get(name);
    if (!moment) {
      moment = new Float32Array(length);
      store.set(name, moment);
    }
    return moment;
  }
}
