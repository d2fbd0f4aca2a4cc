// Qwen2 and Qwen3 put a sliding window only on the layers that layer_types marks
// "sliding_attention" (by default those from max_window_layers on), and only when
// use_sliding_window is set. The spec has one window for all layers, so a mix is refused.
import { z } from 'zod';
import { positiveInt } from './config-fields.ts';
import { unsupported } from './config-error.ts';

export const qwenSlidingWindowFields = {
  use_sliding_window: z.boolean().nullish(),
  sliding_window: positiveInt.nullish(),
  max_window_layers: z.number().int().nonnegative().nullish(),
  layer_types: z.array(z.string()).nullish(),
};

type QwenSlidingWindowConfig = { [K in keyof typeof qwenSlidingWindowFields]?: z.infer<(typeof qwenSlidingWindowFields)[K]> } & {
  num_hidden_layers: number;
};

export function qwenSlidingWindow(config: QwenSlidingWindowConfig): number | null {
  const window = config.use_sliding_window ? (config.sliding_window === undefined ? 4096 : config.sliding_window) : null;
  if (window === null) return null;
  const maxWindowLayers = config.max_window_layers ?? 28;
  const layerTypes =
    config.layer_types ?? Array.from({ length: config.num_hidden_layers }, (_, i) => (i >= maxWindowLayers ? 'sliding_attention' : 'full_attention'));
  const sliding = layerTypes.filter((t) => t === 'sliding_attention').length;
  if (sliding === 0) return null;
  if (sliding === layerTypes.length) return window;
  throw unsupported(`A sliding window on only some layers (${sliding} of ${layerTypes.length}; see layer_types / max_window_layers in config.json)`);
}
