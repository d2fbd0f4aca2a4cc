// Splits a canonical WeightName ("embed", "layers.3.q.weight") into its layer and local name.
import type { GlobalWeight, LayerWeight, WeightName } from '../../common/model-spec.ts';

export type ParsedWeightName = { layer: null; weight: GlobalWeight } | { layer: number; weight: LayerWeight };

const LAYER_NAME = /^layers\.(\d+)\.(.+)$/;

export function parseWeightName(name: WeightName): ParsedWeightName {
  const match = LAYER_NAME.exec(name);
  if (!match) return { layer: null, weight: name as GlobalWeight };
  return { layer: Number(match[1]), weight: match[2] as LayerWeight };
}
