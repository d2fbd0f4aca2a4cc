// RMSNorm (SimplifiedLayerNormalization) or LayerNorm, as the spec says.
import type { F32Tensor, WeightName } from '../../common/model-spec.ts';
import { attr } from '../onnx/graph.ts';
import type { BuildContext } from './build-context.ts';

export interface NormWeights {
  weight: F32Tensor;
  bias: F32Tensor | null;
}

export function emitNorm(ctx: BuildContext, x: string, name: string, { weight, bias }: NormWeights): string {
  const { g, spec } = ctx;
  const size = weight.shape[weight.shape.length - 1];
  const scale = ctx.floatInitializer(`${name}.weight`, [size], weight.data);
  const attributes = { axis: attr.int(-1), epsilon: attr.float(spec.norm.eps), stash_type: attr.int(1) };
  if (spec.norm.kind === 'rms') {
    return g.op('SimplifiedLayerNormalization', [x, scale], attributes, { name: `${name}/SimplifiedLayerNorm` });
  }
  const inputs = [x, scale];
  if (bias) inputs.push(ctx.floatInitializer(`${name}.bias`, [size], bias.data));
  return g.op('LayerNormalization', inputs, attributes, { name: `${name}/LayerNorm` });
}

/** Loads a norm's weight and, for LayerNorm with bias, its bias. */
export async function loadNorm(ctx: BuildContext, weightName: WeightName, biasName: WeightName | null): Promise<NormWeights> {
  const weight = await ctx.requireWeight(weightName);
  const bias = ctx.spec.norm.bias && biasName ? await ctx.weight(biasName) : null;
  return { weight, bias };
}
