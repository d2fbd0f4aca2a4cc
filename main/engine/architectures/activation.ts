// Maps a transformers activation name (hidden_act, activation_function) onto the three the
// builder implements.
import type { MlpSpec } from '../../common/model-spec.ts';
import { unsupported } from './config-error.ts';

const ACTIVATIONS: Readonly<Record<string, MlpSpec['activation']>> = {
  silu: 'silu',
  swish: 'silu',
  gelu: 'gelu',
  // All three are 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) in transformers.
  gelu_new: 'gelu_tanh',
  gelu_pytorch_tanh: 'gelu_tanh',
  gelu_fast: 'gelu_tanh',
};

export function activationFromConfig(name: string, field: string): MlpSpec['activation'] {
  const activation = ACTIVATIONS[name];
  if (!activation) throw unsupported(`${field} "${name}" (supported: ${Object.keys(ACTIVATIONS).join(', ')})`);
  return activation;
}
