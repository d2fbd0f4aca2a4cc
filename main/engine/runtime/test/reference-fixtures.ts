// Test support for the runtime's tests only: where the shared reference fixtures live, and
// building them into a temporary folder once per test file.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AttentionMode, Precision } from '../../../common/model-manifest.ts';
import { buildModel } from '../../builder/build-model.ts';
import { SafetensorsFile } from '../../checkpoint/safetensors-file.ts';

export const FIXTURES_DIR = fileURLToPath(new URL('../../../../../shared/fixtures/', import.meta.url));
export const HF_TINY_DIR = join(FIXTURES_DIR, 'hf-tiny');
export const SHAKESPEARE_DIR = join(FIXTURES_DIR, 'shakespeare-5m');
export const HF_TINY_ARCHITECTURES = ['llama', 'llama-bf16', 'qwen2', 'mpt', 'gpt2'] as const;

/** Reference models made by scripts/make-references.py for the architectures hf-tiny lacks (committed). */
export const OWN_REFERENCES_DIR = fileURLToPath(new URL('../../architectures/testdata/', import.meta.url));
export const OWN_REFERENCE_MODELS = [
  'mistral',
  'qwen3',
  'phi3',
  'gemma',
  'bloom',
  'gpt_neox',
  'gpt_neox_seq',
  'llama3_rope',
  'llama_linear_rope',
  'llama_sharded',
] as const;

/** Every model with HF reference logits: the shared fixtures (when present) and our own. */
export const CONFORMANCE_MODELS: { name: string; dir: string; skip: string | false }[] = [
  ...HF_TINY_ARCHITECTURES.map((name) => ({ name, dir: join(HF_TINY_DIR, name), skip: fixturesMissing(HF_TINY_DIR) })),
  ...OWN_REFERENCE_MODELS.map((name) => ({ name, dir: join(OWN_REFERENCES_DIR, name), skip: false as const })),
];

/** A skip message when the shared fixtures are absent (a clone outside the workspace), else false. */
export function fixturesMissing(dir: string): string | false {
  return existsSync(dir) ? false : `reference fixtures not found at ${dir} (they live in ../shared beside the checkout)`;
}

/** A temporary folder for built models, removed by `cleanup`. */
export class FixtureBuilds {
  private root: string | null = null;
  private readonly built = new Map<string, string>();

  async build(sourceDir: string, name: string, precision: Precision = 'fp32', attention: AttentionMode = 'fused'): Promise<string> {
    const key = `${name}-${precision}-${attention}`;
    const existing = this.built.get(key);
    if (existing) return existing;
    this.root ??= await mkdtemp(join(tmpdir(), 'hearth-runtime-'));
    const outDir = join(this.root, key);
    await buildModel(sourceDir, outDir, { precision, attention });
    this.built.set(key, outDir);
    return outDir;
  }

  async cleanup(): Promise<void> {
    if (this.root) await rm(this.root, { recursive: true, force: true });
    this.root = null;
    this.built.clear();
  }
}

/** Every tensor of a reference .safetensors file: floats as float32, integers as plain numbers. */
export interface ReferenceTensors {
  floats(name: string): { data: Float32Array; shape: number[] };
  ints(name: string): { data: number[]; shape: number[] };
}

export async function readReference(path: string): Promise<ReferenceTensors> {
  const file = await SafetensorsFile.open(path);
  const floats = new Map<string, { data: Float32Array; shape: number[] }>();
  const ints = new Map<string, { data: number[]; shape: number[] }>();
  try {
    for (const [name, info] of file.tensors) {
      if (info.dtype === 'I64' || info.dtype === 'I32') {
        const typed = await file.readTyped(name);
        ints.set(name, { data: Array.from(typed.data as BigInt64Array | Int32Array, Number), shape: typed.shape });
      } else {
        const tensor = await file.readF32(name);
        floats.set(name, { data: tensor.data, shape: tensor.shape });
      }
    }
  } finally {
    await file.close();
  }
  const get = <T>(map: Map<string, T>, name: string): T => {
    const value = map.get(name);
    if (value === undefined) throw new Error(`${path} has no tensor ${name} of that kind`);
    return value;
  };
  return { floats: (name) => get(floats, name), ints: (name) => get(ints, name) };
}

/** The largest |a - b| over the positions `include` selects (all by default). */
export function maxAbsDiff(a: Float32Array, b: Float32Array, include: (index: number) => boolean = () => true): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} differs from ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    if (!include(i)) continue;
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= max)) max = d; // NaN counts as a failure
  }
  return max;
}
