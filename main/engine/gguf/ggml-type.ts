// ggml's tensor types as GGUF files number them (ggml.h, enum ggml_type), with the block layout
// of each: how many values a block holds and how many bytes it takes. A tensor's byte length is
// (values / blockValues) × blockBytes, and its rows (ne[0] values each) are whole blocks.
// Only the types Hearth reads are listed; any other number is refused by name where it is met.

export interface GgmlTypeInfo {
  /** ggml's name, as llama.cpp prints it (e.g. "Q4_K"). */
  name: string;
  /** Values per block (1 for the float types). */
  blockValues: number;
  /** Bytes per block. */
  blockBytes: number;
}

export const GGML_TYPES = {
  0: { name: 'F32', blockValues: 1, blockBytes: 4 },
  1: { name: 'F16', blockValues: 1, blockBytes: 2 },
  2: { name: 'Q4_0', blockValues: 32, blockBytes: 2 + 16 },
  3: { name: 'Q4_1', blockValues: 32, blockBytes: 2 + 2 + 16 },
  6: { name: 'Q5_0', blockValues: 32, blockBytes: 2 + 4 + 16 },
  7: { name: 'Q5_1', blockValues: 32, blockBytes: 2 + 2 + 4 + 16 },
  8: { name: 'Q8_0', blockValues: 32, blockBytes: 2 + 32 },
  // The k-quants: super-blocks of 256 values (QK_K).
  12: { name: 'Q4_K', blockValues: 256, blockBytes: 2 + 2 + 12 + 128 },
  13: { name: 'Q5_K', blockValues: 256, blockBytes: 2 + 2 + 12 + 32 + 128 },
  14: { name: 'Q6_K', blockValues: 256, blockBytes: 128 + 64 + 16 + 2 },
  30: { name: 'BF16', blockValues: 1, blockBytes: 2 },
} as const satisfies Record<number, GgmlTypeInfo>;

export type GgmlType = keyof typeof GGML_TYPES;

export function isKnownGgmlType(type: number): type is GgmlType {
  return Object.hasOwn(GGML_TYPES, type);
}

/** Bytes of `values` values of `type`; throws when they are not whole blocks. */
export function ggmlByteLength(type: GgmlType, values: number): number {
  const { name, blockValues, blockBytes } = GGML_TYPES[type];
  if (values % blockValues !== 0) throw new RangeError(`${values} values are not whole ${name} blocks of ${blockValues}.`);
  return (values / blockValues) * blockBytes;
}
