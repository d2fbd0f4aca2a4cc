// Preference pairs as token rows, tokenized as TRL's DPOTrainer does: the prompt alone
// (conversational: through the chat template with the generation prompt), then the prompt with
// each completion (conversational: the whole conversation, no generation prompt; standard: the
// text with EOS appended unless it ends with it); a completion's tokens are what follows the
// prompt's tokens. Only completion tokens are scored (labels −100 on the prompt), so a row's
// summed log-probability is the completion's. Prompt and completion are cut to the maximum
// length from the start, and pairs whose prompt fills it are dropped (nothing left to score).
import type { TextTokenizer } from '../engine/tokenizer/text-tokenizer.ts';
import { IGNORE_INDEX } from './causal-lm-loss.ts';
import type { PreferenceLine } from './preference-dataset.ts';

export interface TokenRow {
  ids: number[];
  /** The token where scored (the completion), −100 on the prompt. */
  labels: number[];
}

export interface PreferencePair {
  /** Line in the dataset file. */
  line: number;
  chosen: TokenRow;
  rejected: TokenRow;
  /** Whether either row was cut to the maximum length. */
  truncated: boolean;
}

export interface TokenizedPreferences {
  pairs: PreferencePair[];
  truncated: number;
  /** Lines dropped because the prompt alone fills the maximum length. */
  dropped: number[];
}

export function tokenizePreferences(tokenizer: TextTokenizer, lines: readonly PreferenceLine[], maxLength: number): TokenizedPreferences {
  const pairs: PreferencePair[] = [];
  const dropped: number[] = [];
  let truncated = 0;
  for (const { line, row } of lines) {
    let prompt: number[];
    let withChosen: number[];
    let withRejected: number[];
    if (row.kind === 'conversational') {
      prompt = tokenizer.encodeChat(row.prompt, { addGenerationPrompt: true });
      withChosen = tokenizer.encodeChat([...row.prompt, ...row.chosen], { addGenerationPrompt: false });
      withRejected = tokenizer.encodeChat([...row.prompt, ...row.rejected], { addGenerationPrompt: false });
    } else {
      const eos = tokenizer.eosToken ?? '';
      const withEos = (text: string) => (text.endsWith(eos) ? text : text + eos);
      prompt = tokenizer.encode(row.prompt);
      withChosen = tokenizer.encode(row.prompt + withEos(row.chosen));
      withRejected = tokenizer.encode(row.prompt + withEos(row.rejected));
    }
    if (prompt.length >= maxLength) {
      dropped.push(line);
      continue;
    }
    const chosen = scoredRow(prompt, withChosen.slice(prompt.length), maxLength);
    const rejected = scoredRow(prompt, withRejected.slice(prompt.length), maxLength);
    const cut = Math.max(withChosen.length, withRejected.length) > maxLength;
    if (cut) truncated++;
    pairs.push({ line, chosen, rejected, truncated: cut });
  }
  return { pairs, truncated, dropped };
}

function scoredRow(prompt: readonly number[], completion: readonly number[], maxLength: number): TokenRow {
  const ids = [...prompt, ...completion].slice(0, maxLength);
  const labels = ids.map((id, t) => (t < prompt.length ? IGNORE_INDEX : id));
  return { ids, labels };
}
