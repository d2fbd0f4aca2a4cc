// The token a chat template closes an assistant turn with (<|im_end|>, <|eot_id|>,
// <end_of_turn>, </s>...), found by rendering a one-exchange conversation and reading the token
// right after the assistant's text. A reply must stop there, also when generation_config.json
// lists only the tokenizer's end-of-text token (Llama 3's base config, Gemma's <eos>): the
// model writes the template's end of turn, and without it the reply would run on into a made-up
// next turn.
import type { TextTokenizer } from './text-tokenizer.ts';

/** Text no tokenizer merges with what a template writes around it. */
const PROBE = 'Hearth end-of-turn probe 7319';

/** The template's end-of-turn token id, or null when the template writes none (or cannot render the probe). */
export function templateEndOfTurnTokenId(tokenizer: TextTokenizer): number | null {
  if (!tokenizer.hasChatTemplate) return null;
  let text: string;
  try {
    text = tokenizer.applyChatTemplate(
      [
        { role: 'user', content: 'Hello' },
        { role: 'assistant', content: PROBE },
      ],
      { addGenerationPrompt: false },
    );
  } catch {
    return null; // a template that refuses this conversation: the tokenizer's own EOS still stops the reply
  }
  const at = text.lastIndexOf(PROBE);
  if (at < 0) return null;
  const after = tokenizer.encode(text.slice(at + PROBE.length), { addSpecialTokens: false });
  const first = after[0];
  return first !== undefined && tokenizer.specialTokenIds.has(first) ? first : null;
}
