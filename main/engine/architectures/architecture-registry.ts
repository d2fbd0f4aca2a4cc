// Every supported architecture, by config.json model_type.
import type { ArchitectureDefinition } from './architecture.ts';
import { bloom } from './bloom.ts';
import { gemma } from './gemma.ts';
import { gpt2 } from './gpt2.ts';
import { gptNeox } from './gpt-neox.ts';
import { llama } from './llama.ts';
import { mistral } from './mistral.ts';
import { mpt } from './mpt.ts';
import { phi3 } from './phi3.ts';
import { qwen2 } from './qwen2.ts';
import { qwen3 } from './qwen3.ts';

export const ARCHITECTURE_DEFINITIONS: readonly ArchitectureDefinition[] = [llama, mistral, qwen2, qwen3, phi3, gemma, mpt, bloom, gptNeox, gpt2];

export function findArchitecture(modelType: string): ArchitectureDefinition | null {
  return ARCHITECTURE_DEFINITIONS.find((a) => a.modelType === modelType) ?? null;
}

export function supportedModelTypes(): string[] {
  return ARCHITECTURE_DEFINITIONS.map((a) => a.modelType);
}
