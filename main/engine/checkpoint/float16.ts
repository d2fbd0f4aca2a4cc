// Conversions between float32 and the two 16-bit float formats found in checkpoints:
// IEEE half (F16) and bfloat16 (BF16, the top half of a float32). float32 → float16 rounds to
// nearest, ties to even, as PyTorch's .half() does, so a stored fp16 model matches one saved by it.

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

function float32BitsToFloat16Bits(bits: number): number {
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;
  if (exponent === 0xff) {
    // Infinity stays infinity; NaN keeps a set quiet bit so no payload can turn it into infinity.
    return sign | 0x7c00 | (mantissa ? 0x200 | (mantissa >>> 13) : 0);
  }
  const halfExponent = exponent - 127 + 15;
  if (halfExponent >= 0x1f) return sign | 0x7c00;
  if (halfExponent <= 0) {
    // Subnormal half: the value in units of 2^-24 is the full 24-bit significand shifted right.
    if (halfExponent < -10) return sign;
    const significand = mantissa | 0x800000;
    const shift = 14 - halfExponent;
    let half = significand >>> shift;
    const remainder = significand & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (remainder > halfway || (remainder === halfway && (half & 1) === 1)) half += 1;
    return sign | half;
  }
  let half = sign | (halfExponent << 10) | (mantissa >>> 13);
  const remainder = mantissa & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (and overflows to infinity).
  if (remainder > 0x1000 || (remainder === 0x1000 && (half & 1) === 1)) half += 1;
  return half;
}

export function float32ToFloat16Bits(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length);
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  for (let i = 0; i < values.length; i++) out[i] = float32BitsToFloat16Bits(bits[i]);
  return out;
}

/** float32 → bfloat16 bits, round to nearest even (as torch's .bfloat16()). */
export function float32ToBfloat16Bits(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length);
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  for (let i = 0; i < values.length; i++) {
    const b = bits[i];
    if ((b & 0x7f800000) === 0x7f800000 && (b & 0x7fffff) !== 0) {
      out[i] = (b >>> 16) | 0x40;
      continue;
    }
    out[i] = ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16) & 0xffff;
  }
  return out;
}

let float16Table: Float32Array | null = null;

/** All 65536 half values, built once: a table lookup is the fastest conversion for big tensors. */
function float16ToFloat32Table(): Float32Array {
  if (float16Table) return float16Table;
  const table = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exponent = (h >>> 10) & 0x1f;
    const mantissa = h & 0x3ff;
    if (exponent === 0) {
      table[h] = sign * mantissa * 2 ** -24;
    } else if (exponent === 0x1f) {
      table[h] = mantissa ? NaN : sign * Infinity;
    } else {
      u32[0] = ((h & 0x8000) << 16) | ((exponent + 112) << 23) | (mantissa << 13);
      table[h] = f32[0];
    }
  }
  float16Table = table;
  return table;
}

export function float16BitsToFloat32(bits: Uint16Array): Float32Array {
  const table = float16ToFloat32Table();
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = table[bits[i]];
  return out;
}

export function bfloat16BitsToFloat32(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  const outBits = new Uint32Array(out.buffer);
  for (let i = 0; i < bits.length; i++) outBits[i] = bits[i] << 16;
  return out;
}

/** A 16-bit float's exponent bits (F16 or BF16): all set means NaN or infinity. */
const EXPONENT_MASK = { F16: 0x7c00, BF16: 0x7f80 } as const;

/**
 * float16BitsToFloat32 or bfloat16BitsToFloat32 that also counts the NaN and infinite values
 * (all exponent bits set) in the same pass, so a checkpoint reader need not read the floats again.
 */
export function halfBitsToFloat32Checked(bits: Uint16Array, format: 'F16' | 'BF16'): { data: Float32Array; nonFinite: number } {
  const mask = EXPONENT_MASK[format];
  const data = new Float32Array(bits.length);
  let nonFinite = 0;
  if (format === 'BF16') {
    const outBits = new Uint32Array(data.buffer);
    for (let i = 0; i < bits.length; i++) {
      const b = bits[i];
      outBits[i] = b << 16;
      if ((b & mask) === mask) nonFinite++;
    }
  } else {
    const table = float16ToFloat32Table();
    for (let i = 0; i < bits.length; i++) {
      const b = bits[i];
      data[i] = table[b];
      if ((b & mask) === mask) nonFinite++;
    }
  }
  return { data, nonFinite };
}
