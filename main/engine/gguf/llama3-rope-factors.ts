// Llama 3.1 and later scale their rotary frequencies (rope_scaling type "llama3"), and llama.cpp's
// converter stores that scaling not as parameters but as its result: a rope_freqs tensor of one
// divisor per frequency. The engine implements llama3 scaling from its parameters, so they are
// recovered here: Meta's models all use low_freq_factor 1 and high_freq_factor 4, `factor` is
// the largest divisor, and the original context is the file's, else 8192 (Meta's), else the one
// a divisor inside the interpolated band implies. The recovered
// parameters are accepted only when they reproduce every stored divisor; any other rope_freqs is
// refused rather than run with frequencies it does not hold.
import type { RopeScaling } from '../../common/model-spec.ts';
import { ropeInverseFrequencies } from '../builder/rotary-cache.ts';
import { GgufError } from './gguf-file.ts';

type Llama3Scaling = Extract<RopeScaling, { type: 'llama3' }>;

/** Meta's values for Llama 3.1, 3.2 and 3.3. */
const LOW_FREQ_FACTOR = 1;
const HIGH_FREQ_FACTOR = 4;
const ORIGINAL_CONTEXT = 8192;
/** The converter computes in float32 and float64 where the engine computes in float64: agreement to this relative error. */
const TOLERANCE = 1e-5;

export interface RopeFactorsInput {
  path: string;
  factors: Float32Array;
  theta: number;
  rotaryDim: number;
  /** `<arch>.rope.scaling.original_context_length`, when the file gives it. */
  originalContext: number | undefined;
}

/** config.json's rope_scaling for the divisors, or a GgufError when they are not llama3 scaling. */
export function llama3ScalingFromFactors(input: RopeFactorsInput): Record<string, unknown> {
  const { path, factors, theta, rotaryDim } = input;
  if (factors.length !== rotaryDim / 2) {
    throw new GgufError(path, `rope_freqs holds ${factors.length} values, but the rotary dimension ${rotaryDim} has ${rotaryDim / 2} frequencies. The file does not match its metadata.`);
  }
  const factor = factors.reduce((a, b) => Math.max(a, b), 0);
  const base = { kind: 'rope' as const, theta, rotaryDim, frequencyPrecision: 'float32' as const };
  const plain = ropeInverseFrequencies({ ...base, scaling: null });
  const divisors = (scaling: RopeScaling) => {
    const scaled = ropeInverseFrequencies({ ...base, scaling });
    return Array.from(plain, (f, i) => f / scaled[i]!);
  };
  const llama3 = (originalMaxPositionEmbeddings: number): Llama3Scaling => ({ type: 'llama3', factor, lowFreqFactor: LOW_FREQ_FACTOR, highFreqFactor: HIGH_FREQ_FACTOR, originalMaxPositionEmbeddings });
  const mismatch = (scaling: RopeScaling) => {
    const expected = divisors(scaling);
    return Array.from(factors).findIndex((stored, i) => Math.abs(expected[i]! - stored) > TOLERANCE * stored);
  };
  const candidates = [input.originalContext, ORIGINAL_CONTEXT, originalContextFromBand(factors, plain, factor)].filter((c): c is number => c !== undefined && c > 0);
  const scaling = candidates.map(llama3).find((candidate) => mismatch(candidate) < 0);
  if (!scaling) {
    const tried = llama3(candidates[0]!);
    const off = mismatch(tried);
    throw new GgufError(
      path,
      `holds rotary divisors (rope_freqs) that are not Llama 3's scaling (divisor ${off} is ${factors[off]}; llama3 scaling with factor ${factor} gives ${divisors(tried)[off]}), which Hearth does not implement. Pick another model.`,
    );
  }
  return {
    rope_type: 'llama3',
    factor,
    low_freq_factor: scaling.lowFreqFactor,
    high_freq_factor: scaling.highFreqFactor,
    original_max_position_embeddings: scaling.originalMaxPositionEmbeddings,
  };
}

/**
 * The original context that puts a frequency in the band between kept and slowed where its
 * divisor says: there 1/divisor = (1 − s)/factor + s with s = (context/wavelength − low)/(high − low).
 * Undefined when no divisor lies strictly inside the band.
 */
function originalContextFromBand(factors: Float32Array, plain: Float32Array, factor: number): number | undefined {
  const i = Array.from(factors).findIndex((f) => f > 1 + TOLERANCE && f < factor * (1 - TOLERANCE));
  if (i < 0) return undefined;
  const s = (1 / factors[i]! - 1 / factor) / (1 - 1 / factor);
  const wavelength = (2 * Math.PI) / plain[i]!;
  return Math.round(wavelength * (s * (HIGH_FREQ_FACTOR - LOW_FREQ_FACTOR) + LOW_FREQ_FACTOR));
}
