// A model's perplexity on a piece of text, as a quantization quality check: the text is tokenized
// with the model's own tokenizer (no special tokens, so every model sees just the text) and
// scored by windowedPerplexity over as many whole windows as it fills, up to a limit. The same
// text and windows for two builds of one model make their perplexities comparable.
import type { TextTokenizer } from '../tokenizer/text-tokenizer.ts';
import type { LoadedModel } from './model-session.ts';
import { PerplexityInputError, windowedPerplexity, type PerplexityResult } from './perplexity.ts';

/** Tokens per window: short enough for any model's context, long enough to be mostly in-context prediction. */
export const TEXT_PERPLEXITY_WINDOW = 128;
/** At most this many windows (1,024 predicted tokens): a few seconds for a 0.5B model on 2 cores. */
export const TEXT_PERPLEXITY_MAX_WINDOWS = 8;

export interface TextPerplexityOptions {
  window?: number;
  maxWindows?: number;
}

export async function textPerplexity(model: LoadedModel, tokenizer: TextTokenizer, text: string, options: TextPerplexityOptions = {}): Promise<PerplexityResult> {
  const window = Math.min(options.window ?? TEXT_PERPLEXITY_WINDOW, model.spec.contextLength);
  const ids = tokenizer.encode(text, { addSpecialTokens: false });
  const windows = Math.min(options.maxWindows ?? TEXT_PERPLEXITY_MAX_WINDOWS, Math.floor((ids.length - 1) / window));
  if (windows < 1) {
    throw new PerplexityInputError(`The text is ${ids.length} tokens long for this model; measuring perplexity needs at least ${window + 1}.`);
  }
  return windowedPerplexity(model, ids, window, windows);
}
