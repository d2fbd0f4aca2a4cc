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

/** The expected shape of a weight, or null when this model has no such weight. */
export function expectedWeightShape(spec: ModelSpec, name: WeightName): number[] | null {
  const { hiddenSize: h, vocabSize: vocab, norm, attention: a, mlp } = spec;
  const parsed = parseWeightName(name);
  if (parsed.layer !== null && !(parsed.layer >= 0 && parsed.layer < spec.numLayers)) {
    throw new RangeError(`Weight ${name}: the model has layers 0..${spec.numLayers - 1}`);
  }
  const qSize = a.numHeads * a.headDim;
  const kvSize = a.numKvHeads * a.headDim;
  const gated = mlp.kind === 'gated';
  switch (parsed.weight) {
    case 'embed':
      return [vocab, h];
    case 'positionEmbed':
      return spec.positions.kind === 'learned' ? [spec.positions.maxPositions, h] : null;
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
      return [qSize, h];
    case 'k.weight':
    case 'v.weight':
      return [kvSize, h];
    case 'q.bias':
      return a.qkvBias ? [qSize] : null;
    case 'k.bias':
    case 'v.bias':
      return a.qkvBias ? [kvSize] : null;
    case 'o.weight':
      return [h, qSize];
    case 'o.bias':
      return a.outBias ? [h] : null;
    case 'qNorm.weight':
    case 'kNorm.weight':
      return a.qkNorm ? [a.headDim] : null;
    case 'gate.weight':
      return gated ? [mlp.intermediateSize, h] : null;
    case 'gate.bias':
      return gated && mlp.bias ? [mlp.intermediateSize] : null;
    case 'up.weight':
      return [mlp.intermediateSize, h];
    case 'up.bias':
      return mlp.bias ? [mlp.intermediateSize] : null;
    case 'down.weight':
      return [h, mlp.intermediateSize];
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
