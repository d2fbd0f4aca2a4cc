// Picks the next token from one row of logits the way Hugging Face's generate() does with
// do_sample: repetition penalty, then temperature, top-k, top-p (nucleus) and min-p, then a
// draw from what is left. With vocabularies of 150k tokens it never sorts the whole row when
// it can help it: top-k keeps a small heap, and top-p / min-p without top-k keep the tokens above a
// probability floor, found by a mass-tracking quickselect.
import type { RandomSource } from './seeded-random.ts';

export interface SamplingParams {
  /** 0 picks the most likely token (greedy); otherwise logits are divided by it. */
  temperature: number;
  /** Keep only the k most likely tokens; 0 keeps all. */
  topK: number;
  /** Keep the most likely tokens until their probability adds up to topP; 1 keeps all. */
  topP: number;
  /** Drop tokens whose probability is below minP times the top token's; 0 keeps all. */
  minP: number;
  /** Above 1 discourages the tokens in recentIds (HF CTRL-style: positive logits divided, negative multiplied); 1 is off. */
  repetitionPenalty: number;
  /** Token ids the repetition penalty applies to (typically the prompt and what was generated). */
  recentIds: readonly number[];
  /**
   * OpenAI's penalties, over the tokens generated so far (`generatedIds`), as OpenAI defines
   * them: logit[j] -= frequencyPenalty * count[j] + presencePenalty * (count[j] > 0). Each lies
   * in [-2, 2]; 0 (the default) is off. Applied after the repetition penalty, before temperature.
   */
  frequencyPenalty?: number;
  presencePenalty?: number;
  generatedIds?: readonly number[];
}

function validate(params: SamplingParams, vocabSize: number): void {
  const { temperature, topK, topP, minP, repetitionPenalty } = params;
  if (vocabSize === 0) throw new RangeError('Cannot sample from an empty row of logits.');
  if (!(temperature >= 0) || !Number.isFinite(temperature)) throw new RangeError(`temperature must be 0 or more, got ${temperature}.`);
  if (!Number.isInteger(topK) || topK < 0) throw new RangeError(`topK must be a whole number, 0 for off, got ${topK}.`);
  if (!(topP >= 0 && topP <= 1)) throw new RangeError(`topP must lie in [0, 1], got ${topP}.`);
  if (!(minP >= 0 && minP <= 1)) throw new RangeError(`minP must lie in [0, 1], got ${minP}.`);
  if (!(repetitionPenalty > 0) || !Number.isFinite(repetitionPenalty)) {
    throw new RangeError(`repetitionPenalty must be above 0 (1 is off), got ${repetitionPenalty}.`);
  }
  for (const [name, value] of [['frequencyPenalty', params.frequencyPenalty ?? 0], ['presencePenalty', params.presencePenalty ?? 0]] as const) {
    if (!(value >= -2 && value <= 2)) throw new RangeError(`${name} must lie in [-2, 2] (0 is off), got ${value}.`);
  }
}

export function sampleNextToken(logits: Float32Array, params: SamplingParams, random: RandomSource): number {
  validate(params, logits.length);
  const scores = applyCountPenalties(
    applyRepetitionPenalty(logits, params.repetitionPenalty, params.recentIds),
    params.frequencyPenalty ?? 0,
    params.presencePenalty ?? 0,
    params.generatedIds ?? [],
    logits,
  );
  if (params.temperature === 0 || params.topK === 1) return argmax(scores);

  if (params.topK > 0 && params.topK < scores.length) {
    const kept = keepFromSortedCandidates(scores, topKIndices(scores, params.topK), params);
    return drawFrom(kept.indices, kept.weights, kept.count, random);
  }
  return drawFromFullRow(scores, params, random);
}

/** A copy of the row with the penalty applied once per distinct id (as HF's scatter does), or the row itself when off. */
function applyRepetitionPenalty(logits: Float32Array, penalty: number, recentIds: readonly number[]): Float32Array {
  if (penalty === 1 || recentIds.length === 0) return logits;
  const scores = logits.slice();
  for (const id of new Set(recentIds)) {
    if (id < 0 || id >= scores.length) continue;
    const score = logits[id];
    scores[id] = score < 0 ? score * penalty : score / penalty;
  }
  return scores;
}

/**
 * OpenAI's frequency and presence penalties: each generated token's logit goes down by
 * frequencyPenalty per time it was generated, and by presencePenalty once if it was at all.
 * Writes into a copy: the one the repetition penalty made, or a new one (the caller's logits never change).
 */
function applyCountPenalties(scores: Float32Array, frequencyPenalty: number, presencePenalty: number, generatedIds: readonly number[], original: Float32Array): Float32Array {
  if ((frequencyPenalty === 0 && presencePenalty === 0) || generatedIds.length === 0) return scores;
  const counts = new Map<number, number>();
  for (const id of generatedIds) counts.set(id, (counts.get(id) ?? 0) + 1);
  const out = scores === original ? scores.slice() : scores;
  for (const [id, count] of counts) {
    if (id < 0 || id >= out.length) continue;
    out[id] -= frequencyPenalty * count + presencePenalty;
  }
  return out;
}

/** The first index of the largest score, as torch.argmax returns. */
function argmax(scores: Float32Array): number {
  let best = 0;
  let bestScore = scores[0];
  for (let i = 1; i < scores.length; i++) {
    if (scores[i] > bestScore) {
      bestScore = scores[i];
      best = i;
    }
  }
  return best;
}

/** Indices of the k largest scores, largest first, through a min-heap: O(n log k), no full sort. */
export function topKIndices(scores: Float32Array, k: number): Int32Array {
  const heapIds = new Int32Array(k);
  const heapScores = new Float32Array(k);
  let size = 0;
  const siftDown = (start: number): void => {
    let i = start;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < size && isLower(heapScores[left], heapIds[left], heapScores[smallest], heapIds[smallest])) smallest = left;
      if (right < size && isLower(heapScores[right], heapIds[right], heapScores[smallest], heapIds[smallest])) smallest = right;
      if (smallest === i) return;
      swap(heapIds, heapScores, i, smallest);
      i = smallest;
    }
  };
  for (let id = 0; id < scores.length; id++) {
    const score = scores[id];
    if (size < k) {
      let i = size++;
      heapIds[i] = id;
      heapScores[i] = score;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (!isLower(heapScores[i], heapIds[i], heapScores[parent], heapIds[parent])) break;
        swap(heapIds, heapScores, i, parent);
        i = parent;
      }
    } else if (score > heapScores[0]) {
      // Strictly greater: on ties the earlier id stays, as in argmax.
      heapIds[0] = id;
      heapScores[0] = score;
      siftDown(0);
    }
  }
  const order = Array.from(heapIds.subarray(0, size));
  order.sort((a, b) => scores[b] - scores[a] || a - b);
  return Int32Array.from(order);
}

/** Heap order: a lower score, or on equal scores the later id, ranks lower (is evicted first). */
function isLower(scoreA: number, idA: number, scoreB: number, idB: number): boolean {
  return scoreA < scoreB || (scoreA === scoreB && idA > idB);
}

function swap(ids: Int32Array, values: Float32Array, i: number, j: number): void {
  const id = ids[i];
  ids[i] = ids[j];
  ids[j] = id;
  const value = values[i];
  values[i] = values[j];
  values[j] = value;
}

/** Tokens that survive top-p and min-p, largest first, with unnormalized probabilities. */
interface KeptTokens {
  indices: Int32Array;
  weights: Float64Array;
  count: number;
}

/** top-p and min-p over the top-k candidates, already sorted largest first. */
function keepFromSortedCandidates(scores: Float32Array, sorted: Int32Array, params: SamplingParams): KeptTokens {
  const weights = new Float64Array(sorted.length);
  const top = scores[sorted[0]];
  let total = 0;
  for (let i = 0; i < sorted.length; i++) {
    weights[i] = Math.exp((scores[sorted[i]] - top) / params.temperature);
    total += weights[i];
  }
  return { indices: sorted, weights, count: keptPrefixLength(weights, sorted.length, total, params) };
}

/**
 * Both filters keep a prefix of the tokens sorted by probability, so applying them together
 * keeps the shorter prefix. top-p counts mass against `total`, the whole distribution left
 * after top-k (HF applies min-p after top-p, but min-p compares with the top token only, so
 * the order does not change the result).
 */
function keptPrefixLength(sortedWeights: Float64Array, length: number, total: number, params: SamplingParams): number {
  // Weights are relative to the top token's, which is exp(0) = 1.
  const floor = params.minP;
  // topP = 1 is off: never cut on rounding differences between the two summation orders.
  const nucleusMass = params.topP >= 1 ? Infinity : params.topP * total;
  let mass = 0;
  for (let i = 0; i < length; i++) {
    // Keep a token while the mass before it is below topP (HF keeps the one that crosses), always the first.
    if (i > 0 && (mass >= nucleusMass || sortedWeights[i] < floor)) return i;
    mass += sortedWeights[i];
  }
  return length;
}

/** A draw proportional to weights[0..count). */
function drawFrom(indices: Int32Array, weights: Float64Array, count: number, random: RandomSource): number {
  let total = 0;
  for (let i = 0; i < count; i++) total += weights[i];
  const target = random.next() * total;
  let cumulative = 0;
  for (let i = 0; i < count; i++) {
    cumulative += weights[i];
    if (target < cumulative) return indices[i];
  }
  return indices[count - 1];
}

/**
 * top-p and/or min-p over the whole row, without sorting: both keep the tokens whose weight is
 * at least some floor (min-p's is minP, top-p's the weight of the token that crosses topP),
 * so the kept set is everything above the higher floor. Tokens tied exactly at top-p's floor
 * are all kept, where HF's sort would keep some of them; with float logits that is immaterial.
 */
function drawFromFullRow(scores: Float32Array, params: SamplingParams, random: RandomSource): number {
  const top = scores[argmax(scores)];
  const weights = weightsScratch(scores.length);
  let total = 0;
  for (let i = 0; i < scores.length; i++) {
    weights[i] = Math.exp((scores[i] - top) / params.temperature);
    total += weights[i];
  }
  let floor = params.minP;
  if (params.topP < 1) floor = Math.max(floor, nucleusFloor(weights, total, params.topP * total));
  // The top token has weight 1 and both floors are at most 1, so at least one token is kept.
  let kept = 0;
  for (let i = 0; i < weights.length; i++) if (weights[i] >= floor) kept += weights[i];
  const target = random.next() * kept;
  let cumulative = 0;
  let last = 0;
  for (let i = 0; i < weights.length; i++) {
    const weight = weights[i];
    if (weight < floor || weight === 0) continue;
    cumulative += weight;
    last = i;
    if (target < cumulative) return i;
  }
  return last;
}

/**
 * The weight w of the token where the mass, counted from the top, first reaches targetMass:
 * tokens heavier than w hold less than targetMass, those at least as heavy hold at least it.
 * A quickselect that tracks mass instead of rank, expected O(n).
 */
function nucleusFloor(weights: Float64Array, total: number, targetMass: number): number {
  // The lightest tokens, together under total - targetMass, all lie past the crossing token
  // (if they held it they would hold the whole tail after it, which weighs more). Tokens under
  // that mass divided by the vocabulary size qualify and are left out of the search at once.
  const negligible = (total - targetMass) / weights.length;
  const ids = idsScratch(weights.length);
  let hi = 0;
  for (let i = 0; i < weights.length; i++) if (weights[i] >= negligible) ids[hi++] = i;
  let lo = 0;
  let massAbove = 0; // mass of the tokens already known to be heavier than the active range
  let pivotSeed = 0x2545f491;
  while (lo < hi) {
    // A pseudo-random pivot (its own generator: the caller's draws stay untouched) avoids the quadratic worst case.
    pivotSeed = (Math.imul(pivotSeed, 1664525) + 1013904223) | 0;
    const pivot = weights[ids[lo + ((pivotSeed >>> 0) % (hi - lo))]];
    // Three-way partition of ids[lo, hi) into heavier | equal | lighter than the pivot.
    let heavierEnd = lo;
    let lighterStart = hi;
    let i = lo;
    let heavierMass = 0;
    let equalMass = 0;
    while (i < lighterStart) {
      const id = ids[i];
      const weight = weights[id];
      if (weight > pivot) {
        ids[i] = ids[heavierEnd];
        ids[heavierEnd++] = id;
        heavierMass += weight;
        i++;
      } else if (weight < pivot) {
        ids[i] = ids[--lighterStart];
        ids[lighterStart] = id;
      } else {
        equalMass += weight;
        i++;
      }
    }
    if (heavierEnd > lo && massAbove + heavierMass >= targetMass) {
      hi = heavierEnd;
    } else if (massAbove + heavierMass + equalMass >= targetMass) {
      return pivot;
    } else {
      massAbove += heavierMass + equalMass;
      lo = lighterStart;
    }
  }
  // Only rounding gets here (targetMass at the very total): keep everything.
  return 0;
}

// One buffer reused across calls: a fresh 1.2 MB array per token for a 150k vocabulary is
// needless garbage. Sampling is synchronous, so calls never share it at the same time.
let weightsBuffer = new Float64Array(0);
let idsBuffer = new Int32Array(0);
function weightsScratch(size: number): Float64Array {
  if (weightsBuffer.length < size) weightsBuffer = new Float64Array(size);
  return weightsBuffer.subarray(0, size);
}
function idsScratch(size: number): Int32Array {
  if (idsBuffer.length < size) idsBuffer = new Int32Array(size);
  return idsBuffer.subarray(0, size);
}
