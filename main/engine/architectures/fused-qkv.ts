// Which third of a fused query/key/value projection (weight or bias) a canonical q/k/v weight is.
// MPT and GPT-2 stack [q; k; v]; BLOOM and GPT-NeoX interleave them per head (see tensor-layout.ts).
import type { LayerWeight } from '../../common/model-spec.ts';

export interface QkvPart {
  kind: 'weight' | 'bias';
  index: 0 | 1 | 2;
}

const PARTS: Partial<Record<LayerWeight, QkvPart>> = {
  'q.weight': { kind: 'weight', index: 0 },
  'k.weight': { kind: 'weight', index: 1 },
  'v.weight': { kind: 'weight', index: 2 },
  'q.bias': { kind: 'bias', index: 0 },
  'k.bias': { kind: 'bias', index: 1 },
  'v.bias': { kind: 'bias', index: 2 },
};

export function qkvPart(weight: LayerWeight): QkvPart | null {
  return PARTS[weight] ?? null;
}
