import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GPU_CHECK_LIMITS, GPU_CHECK_STEPS, gpuCheckFailures } from './gpu-check-limits.ts';

/** A run in which every figure sits at what was measured. */
function passingRun(): Record<string, unknown> {
  return {
    hardware: { webgpu: { available: true }, gpus: [] },
    'demo-build': 'ok',
    'demo-fp16-webgpu-vs-fp32-cpu': { maxAbsDiff: 0.021, maxAbsLogit: 8.7, maxRelativeDiff: 0.0024, argmaxEqual: true, greedyTokens: 32, greedyIdenticalPrefix: 32 },
    'qwen-build': 'ok',
    'qwen-fp16-webgpu-vs-fp32-cpu': { maxAbsDiff: 0.02, maxAbsLogit: 2.7, maxRelativeDiff: 0.0074, argmaxEqual: true },
    'qwen-fp16-webgpu-speed': { kvLocation: 'gpu-buffer', decodeTokensPerSecond: 64 },
    'qwen-fp32-cpu-speed': { kvLocation: 'cpu', decodeTokensPerSecond: 40 },
  };
}

function withFigure(step: string, figure: string, value: unknown): Record<string, unknown> {
  const run = passingRun();
  run[step] = { ...(run[step] as object), [figure]: value };
  return run;
}

describe('gpu-check limits', () => {
  it('passes a run at the measured figures', () => {
    assert.deepEqual(gpuCheckFailures(passingRun()), []);
  });

  it('names the figure, its value and the limit when one is exceeded', () => {
    const failures = gpuCheckFailures(withFigure('demo-fp16-webgpu-vs-fp32-cpu', 'maxAbsDiff', 0.3));
    assert.equal(failures.length, 1);
    assert.match(failures[0], /^demo-fp16-webgpu-vs-fp32-cpu\.maxAbsDiff = 0\.3 exceeds 0\.05 \(measured 0\.021/);
  });

  it('fails a figure below its floor, a wrong value and a diverging greedy run', () => {
    assert.match(gpuCheckFailures(withFigure('qwen-fp16-webgpu-speed', 'decodeTokensPerSecond', 12))[0], /decodeTokensPerSecond = 12 is below 32/);
    assert.match(gpuCheckFailures(withFigure('qwen-fp16-webgpu-speed', 'kvLocation', 'cpu'))[0], /kvLocation = "cpu", expected "gpu-buffer"/);
    assert.match(gpuCheckFailures(withFigure('demo-fp16-webgpu-vs-fp32-cpu', 'greedyIdenticalPrefix', 5))[0], /greedyIdenticalPrefix = 5 is below 32/);
  });

  it('fails a NaN or missing figure rather than letting it pass', () => {
    assert.match(gpuCheckFailures(withFigure('qwen-fp16-webgpu-vs-fp32-cpu', 'maxRelativeDiff', NaN))[0], /maxRelativeDiff = NaN, not a finite number/);
    // JSON writes NaN as null.
    assert.match(gpuCheckFailures(withFigure('demo-fp16-webgpu-vs-fp32-cpu', 'maxAbsDiff', null))[0], /maxAbsDiff = null, not a finite number/);
  });

  it('fails a step that errored or never ran, once, without also blaming its figures', () => {
    const run = passingRun();
    run['qwen-fp16-webgpu-speed'] = { error: 'WebGPU adapter not found' };
    delete run['qwen-build'];
    assert.deepEqual(gpuCheckFailures(run), ['qwen-build: did not run', 'qwen-fp16-webgpu-speed: failed: WebGPU adapter not found']);
  });

  it('fails a run that stopped with a fatal error', () => {
    const failures = gpuCheckFailures({ ...passingRun(), fatal: 'Error: out of memory\n    at main' });
    assert.deepEqual(failures, ['fatal: Error: out of memory']);
  });

  it('fails an empty run on every step it expects', () => {
    const steps = new Set([...GPU_CHECK_STEPS, ...GPU_CHECK_LIMITS.map((l) => l.step)]);
    assert.equal(gpuCheckFailures({}).length, steps.size);
  });
});
