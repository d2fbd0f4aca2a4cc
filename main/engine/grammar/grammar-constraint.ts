// One generation's grammar. Each token is sampled among those the grammar allows next (the others'
// logits set to -Infinity), and the grammar follows the token picked; once the JSON is complete
// only the stop tokens are allowed, so the reply ends there (stopReason 'eos').
//
// A masked sampler alone can still run out of tokens mid-JSON: a model that never writes JSON (the
// demo model) happily fills a string until max_tokens. So near the end of the budget every sampled
// token is checked: would the reply still close in the tokens left, taking the shortest way out
// (closing-ranks.ts)? If not, that token is taken back and the reply closes the shortest way from
// there. The check is a dry run on the matcher, rolled back after.
import type { GrammarMatcher } from '@mlc-ai/web-xgrammar';
import type { TextTokenizer } from '../tokenizer/text-tokenizer.ts';
import { closingRanksOf, NEVER_RANK, type ClosingRanks } from './closing-ranks.ts';
import { CompiledGrammarCache, type ConstrainedFormat } from './compiled-grammar-cache.ts';
import { JsonStringState } from './json-string-state.ts';
import { applyTokenBitmask } from './token-bitmask.ts';

/** The process's grammars: a worker answers one model's requests, which share it. */
let sharedCache: CompiledGrammarCache | null = null;
export function sharedGrammarCache(): CompiledGrammarCache {
  sharedCache ??= new CompiledGrammarCache();
  return sharedCache;
}

/** Picks a token from a row of (masked) logits: the generation's own sampler. */
export type TokenSampler = (logits: Float32Array) => number;

/** Tokens left at which the way out starts being checked. */
const CLOSING_WINDOW = 64;
/** Once the way out is known to take n tokens, it is checked again from n + this many tokens left. */
const CHECK_SLACK = 16;

export interface GrammarConstraintOptions {
  /** Width of the model's logits. */
  vocabSize: number;
  /** The tokens that end the reply (allowed once the grammar is complete). */
  stopTokenIds: readonly number[];
  /** Default: the process's shared cache. */
  cache?: CompiledGrammarCache;
}

export class GrammarConstraint {
  private readonly matcher: GrammarMatcher;
  private readonly tokenizer: TextTokenizer;
  private readonly stopTokenIds: ReadonlySet<number>;
  private ranks: ClosingRanks | null = null;
  private strings = new JsonStringState();
  private masked = new Float32Array(0);
  /** Set once the reply must close the shortest way. */
  private closing = false;
  /** Tokens the way out took at the last check. */
  private lastWayOut: number | null = null;
  private disposed = false;

  private constructor(matcher: GrammarMatcher, tokenizer: TextTokenizer, stopTokenIds: readonly number[]) {
    this.matcher = matcher;
    this.tokenizer = tokenizer;
    this.stopTokenIds = new Set(stopTokenIds);
  }

  /** Compiles (or finds) the format's grammar; throws ResponseFormatError for a schema it cannot use. */
  static async create(tokenizer: TextTokenizer, format: ConstrainedFormat, options: GrammarConstraintOptions): Promise<GrammarConstraint> {
    const cache = options.cache ?? sharedGrammarCache();
    const matcher = await cache.createMatcher(tokenizer, options.vocabSize, format, options.stopTokenIds);
    return new GrammarConstraint(matcher, tokenizer, options.stopTokenIds);
  }

  /**
   * The next token: `sample` picks it from `logits` masked to what the grammar allows, unless the
   * reply must close now to fit in `tokensLeft` (this token included). The grammar has accepted
   * the returned token. `logits` itself is left as it was (logprobs are reported from it).
   */
  async next(logits: Float32Array, tokensLeft: number, sample: TokenSampler): Promise<number> {
    const bitmask = await this.matcher.getNextTokenBitmask();
    if (this.closing) return this.take(this.wayOutToken(bitmask, this.strings));
    if (this.masked.length !== logits.length) this.masked = new Float32Array(logits.length);
    if (applyTokenBitmask(logits, bitmask, this.masked) === 0) {
      throw new Error('The grammar allows no token here (are the stop tokens outside the logits?); this is a bug in Hearth.');
    }
    const before = this.strings.clone();
    const id = this.take(sample(this.masked));
    const left = tokensLeft - 1;
    if (left > CLOSING_WINDOW || this.matcher.isTerminated()) return id;
    if (this.lastWayOut !== null && left > this.lastWayOut + CHECK_SLACK) return id;
    this.lastWayOut = await this.wayOutLength(left);
    if (this.lastWayOut <= left) return id;
    // Too late to close after this token: take it back and start closing instead.
    this.matcher.rollBack(1);
    this.strings = before;
    this.closing = true;
    return this.take(this.wayOutToken(bitmask, this.strings));
  }

  /** True once a stop token ended the grammar. */
  get isComplete(): boolean {
    return this.matcher.isTerminated();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.matcher.dispose();
  }

  private take(id: number): number {
    if (!this.matcher.acceptToken(id)) {
      throw new Error(`The grammar refused token ${id}, which its mask allowed; this is a bug in Hearth.`);
    }
    // Decoding one token is cheap; the whole table is only built once the way out is needed.
    this.strings.push(this.ranks ? (this.ranks.texts[id] ?? '') : this.tokenizer.decode([id]));
    return id;
  }

  /** Tokens the shortest way out takes from here, the stop token included; more than `limit` when it takes more. */
  private async wayOutLength(limit: number): Promise<number> {
    const strings = this.strings.clone();
    let taken = 0;
    try {
      while (!this.matcher.isTerminated()) {
        if (taken > limit) break;
        const id = this.wayOutToken(await this.matcher.getNextTokenBitmask(), strings);
        if (!this.matcher.acceptToken(id)) throw new Error(`The grammar refused token ${id}, which its mask allowed; this is a bug in Hearth.`);
        strings.push(this.closingRanks().texts[id] ?? '');
        taken++;
      }
      return taken;
    } finally {
      if (taken > 0) this.matcher.rollBack(taken);
    }
  }

  /**
   * The allowed token ranked first for closing; among equals the longest (where the grammar
   * dictates the text, as a property name, it gets there in fewer tokens), then the lowest id.
   * Deterministic, so the dry run and the real run take the same way.
   */
  private wayOutToken(bitmask: Int32Array, strings: JsonStringState): number {
    const ranks = this.closingRanks();
    const table = strings.isInString ? ranks.inside : ranks.outside;
    let best = -1;
    let bestRank = NEVER_RANK + 1;
    let bestLength = 0;
    for (let word = 0; word < bitmask.length; word++) {
      const bits = bitmask[word];
      if (bits === 0) continue;
      for (let bit = 0; bit < 32; bit++) {
        if (((bits >>> bit) & 1) === 0) continue;
        const id = (word << 5) | bit;
        if (this.stopTokenIds.has(id)) return id;
        const rank = id < table.length ? table[id] : NEVER_RANK;
        if (rank > bestRank) continue;
        const length = ranks.texts[id]?.length ?? 0;
        if (rank < bestRank || length > bestLength) {
          best = id;
          bestRank = rank;
          bestLength = length;
        }
      }
    }
    if (best < 0) throw new Error('The grammar allows no token here; this is a bug in Hearth.');
    return best;
  }

  private closingRanks(): ClosingRanks {
    this.ranks ??= closingRanksOf(this.tokenizer);
    return this.ranks;
  }
}
