// Typed reads of a GGUF file's metadata: the `<arch>.*` hyperparameter keys and the
// tokenizer.ggml.* ids, each refused with the file and the key named when it is missing or of
// the wrong type. Also turns GGUF's float32 values back into config.json's decimals.
import { GgufError, type GgufHeader, type GgufValue } from './gguf-file.ts';

export class MetadataReader {
  constructor(
    private readonly header: GgufHeader,
    /** general.architecture: the prefix of the hyperparameter keys. */
    readonly arch: string,
  ) {}

  hasTensor(name: string): boolean {
    return this.header.tensors.has(name);
  }

  private raw(key: string): GgufValue | undefined {
    return this.header.metadata.get(`${this.arch}.${key}`);
  }

  number(key: string): number {
    const value = this.optionalNumber(key);
    if (value === undefined) throw new GgufError(this.header.path, `lacks the metadata ${this.arch}.${key}, which a ${this.arch} model needs. The file is incomplete: download it again.`);
    return value;
  }

  optionalNumber(key: string): number | undefined {
    const value = this.raw(key);
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new GgufError(this.header.path, `metadata ${this.arch}.${key} is ${describe(value)}, not a number. The file is damaged.`);
    }
    return value;
  }

  /** A float32 value as config.json would write it (see shortestFloat32). */
  optionalDecimal(key: string): number | undefined {
    const value = this.optionalNumber(key);
    return value === undefined ? undefined : shortestFloat32(value);
  }

  optionalString(key: string): string | undefined {
    const value = this.raw(key);
    if (value === undefined) return undefined;
    if (typeof value !== 'string') throw new GgufError(this.header.path, `metadata ${this.arch}.${key} is ${describe(value)}, not a string. The file is damaged.`);
    return value;
  }

  optionalBoolean(key: string): boolean | undefined {
    const value = this.raw(key);
    if (value === undefined) return undefined;
    if (typeof value !== 'boolean') throw new GgufError(this.header.path, `metadata ${this.arch}.${key} is ${describe(value)}, not a boolean. The file is damaged.`);
    return value;
  }

  /** tokenizer.ggml.<key>: a token id, or undefined when absent. */
  tokenId(key: string): number | undefined {
    const value = this.header.metadata.get(`tokenizer.ggml.${key}`);
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
      throw new GgufError(this.header.path, `metadata tokenizer.ggml.${key} is ${describe(value)}, not a token id. The file is damaged.`);
    }
    return value;
  }
}

/**
 * GGUF stores float32; config.json's decimal (1e-6, not 9.99999997e-7) is the shortest decimal that
 * rounds to the same float32, and the engine's own rounding to float32 gives the stored value back.
 */
export function shortestFloat32(value: number): number {
  for (let digits = 1; digits <= 9; digits++) {
    const candidate = Number(value.toPrecision(digits));
    if (Math.fround(candidate) === value) return candidate;
  }
  return value;
}

function describe(value: GgufValue): string {
  return Array.isArray(value) ? `an array of ${value.length}` : JSON.stringify(typeof value === 'bigint' ? value.toString() : value);
}
