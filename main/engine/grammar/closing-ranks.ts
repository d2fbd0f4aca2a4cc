// Which token brings a JSON reply to its end soonest, for when the token budget runs out: a
// rank per token (lower first), one table for inside a string and one for outside. Inside a
// string the closing quote comes first; outside, closing a container, then the shortest values
// ("0", then a string), then the separators the grammar may require. Whitespace comes last and
// every other token in between (the grammar's mask decides which are possible at all).
// Stop tokens come before everything wherever the grammar allows them (the reply is complete).
import type { TextTokenizer } from '../tokenizer/text-tokenizer.ts';

const OTHER_RANK = 5;
const WHITESPACE_RANK = 6;
/** Special tokens: never in a grammar (xgrammar masks them anyway). */
export const NEVER_RANK = 7;

const OUTSIDE_RANKS = new Map<string, number>([
  ['}', 1],
  [']', 1],
  ['0', 2],
  ['"', 3],
  [',', 4],
  [':', 4],
]);
const INSIDE_RANKS = new Map<string, number>([['"', 1]]);

export interface ClosingRanks {
  /** Each token's decoded text (for following strings). */
  texts: readonly string[];
  inside: Uint8Array;
  outside: Uint8Array;
}

const byTokenizer = new WeakMap<TextTokenizer, ClosingRanks>();

/** The ranks of a tokenizer's tokens, computed once (it decodes every token). */
export function closingRanksOf(tokenizer: TextTokenizer): ClosingRanks {
  let ranks = byTokenizer.get(tokenizer);
  if (!ranks) {
    ranks = computeRanks(tokenizer);
    byTokenizer.set(tokenizer, ranks);
  }
  return ranks;
}

function computeRanks(tokenizer: TextTokenizer): ClosingRanks {
  const size = tokenizer.vocabSize;
  const texts = new Array<string>(size);
  const inside = new Uint8Array(size);
  const outside = new Uint8Array(size);
  for (let id = 0; id < size; id++) {
    if (tokenizer.specialTokenIds.has(id)) {
      texts[id] = '';
      inside[id] = outside[id] = NEVER_RANK;
      continue;
    }
    const text = tokenizer.decode([id]);
    texts[id] = text;
    const isWhitespace = text.trim() === '';
    inside[id] = INSIDE_RANKS.get(text) ?? (isWhitespace ? WHITESPACE_RANK : OTHER_RANK);
    outside[id] = OUTSIDE_RANKS.get(text) ?? (isWhitespace ? WHITESPACE_RANK : OTHER_RANK);
  }
  return { texts, inside, outside };
}
