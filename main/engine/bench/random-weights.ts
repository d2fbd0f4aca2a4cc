// Deterministic random weights for a spec, served through the same interface a checkpoint
// folder offers the builder. Normal(0, 0.02) for matrices, 1 for norm scales, 0 for biases:
// realistic magnitudes, so quantization and kernels behave as on a trained model's shapes.
import type { F32Tensor, ModelSpec, WeightName } from '../../common/model-spec.ts';

export function randomWeightSource(spec: ModelSpec, seed = 1): { spec: ModelSpec; weight(name: WeightName): Promise<F32Tensor | null> } {
  return {
    spec,
    async weight(name) {
      const shape = shapeOf(spec, name);
      if (!shape) return null;
      const size = shape.reduce((a, b) => a * b, 1);
      const data = new Float32Array(size);
      if (name.endsWith('Norm.weight')) data.fill(1);
      else if (!name.endsWith('.bias')) fillNormal(data, 0.02, seed + hashName(name));
      return { data, shape };
    },
  };
}

function shapeOf(spec: ModelSpec, name: WeightName): number[] | null {
  const { hiddenSize: d, vocabSize: v } = spec;
  const { numHeads, numKvHeads, headDim, qkvBias } = spec.attention;
  const ffn = spec.mlp.intermediateSize;
  if (name === 'embed') return [v, d];
  if (name === 'lmHead') return spec.tiedEmbeddings ? null : [v, d];
  if (name === 'finalNorm.weight') return [d];
  const layerName = name.replace(/^layers\.\d+\./, '');
  switch (layerName) {
    case 'attnNorm.weight':
    case 'mlpNorm.weight':
      return [d];
    case 'q.weight':
      return [numHeads * headDim, d];
    case 'k.weight':
    case 'v.weight':
      return [numKvHeads * headDim, d];
    case 'q.bias':
      return qkvBias ? [numHeads * headDim] : null;
    case 'k.bias':
    case 'v.bias':
      return qkvBias ? [numKvHeads * headDim] : null;
    case 'o.weight':
      return [d, numHeads * headDim];
    case 'gate.weight':
    case 'up.weight':
      return [ffn, d];
    case 'down.weight':
      return [d, ffn];
    default:
      return null;
  }
}

function hashName(name: string): number {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** Box-Muller over a xorshift generator: fast enough for half a billion values. */
function fillNormal(out: Float32Array, std: number, seed: number): void {
  let state = seed >>> 0 || 1;
  const next = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return ((state >>> 0) + 0.5) / 4294967296;
  };
  for (let i = 0; i < out.length; i += 2) {
    const r = Math.sqrt(-2 * Math.log(next())) * std;
    const t = 2 * Math.PI * next();
    out[i] = r * Math.cos(t);
    if (i + 1 < out.length) out[i + 1] = r * Math.sin(t);
  }
}
