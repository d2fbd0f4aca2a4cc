import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from './config-error.ts';
import { ropePositions } from './rope-config.ts';

const defaults = { headDim: 64, maxPositionEmbeddings: 4096, theta: 10000, partialRotaryFactor: 1 };

test('reads transformers 5 rope_parameters', () => {
  assert.deepEqual(ropePositions({ rope_parameters: { rope_type: 'default', rope_theta: 500000 } }, defaults), { kind: 'rope', theta: 500000, rotaryDim: 64, scaling: null, frequencyPrecision: 'float32' });
  assert.deepEqual(
    ropePositions({ rope_parameters: { rope_type: 'llama3', rope_theta: 500000, factor: 32, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 } }, defaults),
    { kind: 'rope', theta: 500000, rotaryDim: 64, scaling: { type: 'llama3', factor: 32, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 8192 }, frequencyPrecision: 'float32' },
  );
});

test('reads older rope_theta + rope_scaling, with "type" or "rope_type"', () => {
  assert.deepEqual(ropePositions({ rope_theta: 1e6, rope_scaling: { type: 'linear', factor: 2 } }, defaults), {
    kind: 'rope',
    theta: 1e6,
    rotaryDim: 64,
    scaling: { type: 'linear', factor: 2 },
    frequencyPrecision: 'float32',
  });
  const llama3 = ropePositions({ rope_theta: 5e5, rope_scaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4 } }, defaults);
  assert.deepEqual(llama3.kind === 'rope' && llama3.scaling, { type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 4096 });
  assert.deepEqual(ropePositions({}, defaults), { kind: 'rope', theta: 10000, rotaryDim: 64, scaling: null, frequencyPrecision: 'float32' });
});

test('partial rotary factor truncates like int(head_dim * factor)', () => {
  const spec = ropePositions({ partial_rotary_factor: 0.4 }, { ...defaults, headDim: 80 });
  assert.equal(spec.kind === 'rope' && spec.rotaryDim, 32);
  assert.throws(() => ropePositions({ partial_rotary_factor: 0.3 }, { ...defaults, headDim: 10 }), /must be a positive even number/);
});

test('unsupported or incomplete scaling is refused with a clear error', () => {
  assert.throws(
    () => ropePositions({ rope_scaling: { type: 'dynamic', factor: 2 } }, defaults),
    (e: unknown) => e instanceof ConfigError && /RoPE scaling type "dynamic" \(supported: default, linear, llama3\) is not supported/.test(e.message),
  );
  assert.throws(() => ropePositions({ rope_parameters: { rope_type: 'llama3', factor: 8 } }, defaults), /rope type "llama3" needs rope_parameters\.low_freq_factor/);
  assert.throws(() => ropePositions({ rope_parameters: { rope_type: 'linear' } }, defaults), /needs rope_parameters\.factor/);
});

test('a half-precision checkpoint rotates with frequencies rounded to its dtype, as transformers does', () => {
  const precisionOf = (config: Record<string, unknown>) => {
    const positions = ropePositions(config, defaults);
    return positions.kind === 'rope' && positions.frequencyPrecision;
  };
  assert.equal(precisionOf({ dtype: 'bfloat16' }), 'bfloat16');
  assert.equal(precisionOf({ torch_dtype: 'float16' }), 'float16');
  assert.equal(precisionOf({ dtype: 'float32' }), 'float32');
  assert.equal(precisionOf({}), 'float32');
});
