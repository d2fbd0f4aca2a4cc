// Which canonical weights a ModelSpec has, and the shape each must have ([out, in] for
// projections). The one place that knows this, so loaders, the shape check in model-source.ts and
// the builder agree on it.
import type { GlobalWeight, LayerWeight, ModelSpec, WeightName } from '../../common/model-spec.ts';
import { parseWeightName } from './weight-name.ts';

const GLOBAL_WEIGHTS: readonly GlobalWeight[] = ['embed', 'positionEmbed', 'embedNorm.weight', 'embedNorm.bias', 'finalNorm.weight', 'finalNorm.bias', 'lmHead'];
const LAYER_WEIGHTS: readonly LayerWeight[] = [
  'attnNorm.weight', 'attnNorm.bias', 'q.weight', 'q.bias', 'k.weight', 'k.bias', 'v.weight', 'v.bias', 'o.weight', 'o.bias',
  'qNorm.weight', 'kNorm.weight', 'mlpNorm.weight', 'mlpNorm.bias', 'gate.weight', 'gate.bias', 'up.weight', 'up.bias', 'down.weight', 'down.bias',
];

/** One dimension of a weight's expected shape and the config sizes that give it, for error messages. */
export interface WeightDim {
  size: number;
  /** "vocab size", "heads × head_dim (8 × 32)", … */
  meaning: string;
}

/** The expected shape of a weight, or null when this model has no such weight. */
export function expectedWeightShape(spec: ModelSpec, name: WeightName): number[] | null {
  return expectedWeightDims(spec, name)?.map((d) => d.size) ?? null;
}

/** expectedWeightShape with each dimension's origin in the config. */
export function expectedWeightDims(spec: ModelSpec, name: WeightName): WeightDim[] | null {
  const { norm, attention: a, mlp } = spec;
  const parsed = parseWeightName(name);
  if (parsed.layer !== null && !(parsed.layer >= 0 && parsed.layer < spec.numLayers)) {
    throw new RangeError(`Weight ${name}: the model has layers 0..${spec.numLayers - 1}`);
  }
  const h: WeightDim = { size: spec.hiddenSize, meaning: 'hidden size' };
  const vocab: WeightDim = { size: spec.vocabSize, meaning: 'vocab size' };
  const q: WeightDim = { size: a.numHeads * a.headDim, meaning: `heads × head_dim (${a.numHeads} × ${a.headDim})` };
  const kv: WeightDim = { size: a.numKvHeads * a.headDim, meaning: `key/value heads × head_dim (${a.numKvHeads} × ${a.headDim})` };
  const inner: WeightDim = { size: mlp.intermediateSize, meaning: 'intermediate size' };
  const gated = mlp.kind === 'gated';
  switch (parsed.weight) {
    case 'embed':
      return [vocab, h];
    case 'positionEmbed':
      return spec.positions.kind === 'learned' ? [{ size: spec.positions.maxPositions, meaning: 'max positions' }, h] : null;
    case 'embedNorm.weight':
      return spec.embeddingNorm ? [h] : null;
    case 'embedNorm.bias':
      return spec.embeddingNorm && norm.bias ? [h] : null;
    case 'finalNorm.weight':
    case 'attnNorm.weight':
    case 'mlpNorm.weight':
      return [h];
    case 'finalNorm.bias':
    case 'attnNorm.bias':
    case 'mlpNorm.bias':
      return norm.bias ? [h] : null;
    case 'lmHead':
      return spec.tiedEmbeddings ? null : [vocab, h];
    case 'q.weight':
      return [q, h];
    case 'k.weight':
    case 'v.weight':
      return [kv, h];
    case 'q.bias':
      return a.qkvBias ? [q] : null;
    case 'k.bias':
    case 'v.bias':
      return a.qkvBias ? [kv] : null;
    case 'o.weight':
      return [h, q];
    case 'o.bias':
      return a.outBias ? [h] : null;
    case 'qNorm.weight':
    case 'kNorm.weight':
      return a.qkNorm ? [{ size: a.headDim, meaning: 'head_dim' }] : null;
    case 'gate.weight':
      return gated ? [inner, h] : null;
    case 'gate.bias':
      return gated && mlp.bias ? [inner] : null;
    case 'up.weight':
      return [inner, h];
    case 'up.bias':
      return mlp.bias ? [inner] : null;
    case 'down.weight':
      return [h, inner];
    case 'down.bias':
      return mlp.bias ? [h] : null;
  }
}

/** Every weight this model has, globals first, then layer by layer. */
export function specWeightNames(spec: ModelSpec): WeightName[] {
  const names: WeightName[] = GLOBAL_WEIGHTS.filter((w) => expectedWeightShape(spec, w) !== null);
  for (let layer = 0; layer < spec.numLayers; layer++) {
    for (const weight of LAYER_WEIGHTS) {
      const name: WeightName = `layers.${layer}.${weight}`;
      if (expectedWeightShape(spec, name) !== null) names.push(name);
    }
  }
  return names;
}
