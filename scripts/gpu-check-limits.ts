// The limits scripts/gpu-check.ts holds its results to, and the check that says which were
// exceeded. A GPU run that only records figures passes whatever they are; these make it fail.
// Each limit says what it rests on: a figure measured on the lent NVIDIA machine where there is
// one, otherwise what fp16 rounding allows, with the margin stated.

/** One limit on one recorded figure. `figure` is a dotted path inside the step's result. */
export interface GpuCheckLimit {
  step: string;
  figure: string;
  atMost?: number;
  atLeast?: number;
  equals?: string | number | boolean;
  why: string;
}

/** Steps that return no figure worth a limit but must have run without an error. */
export const GPU_CHECK_STEPS = ['hardware', 'demo-build', 'qwen-build', 'qwen-fp32-cpu-speed'];

export const GPU_CHECK_LIMITS: GpuCheckLimit[] = [
  { step: 'hardware', figure: 'webgpu.available', equals: true, why: 'every other check needs the WebGPU provider' },
  {
    step: 'demo-fp16-webgpu-vs-fp32-cpu',
    figure: 'maxAbsDiff',
    atMost: 0.05,
    why: 'measured 0.021 (fp16 WebGPU vs fp32 CPU, lent NVIDIA machine, November 2026); fp16 on the CPU provider differs by 0.0032',
  },
  { step: 'demo-fp16-webgpu-vs-fp32-cpu', figure: 'argmaxEqual', equals: true, why: 'the same next token was measured' },
  { step: 'demo-fp16-webgpu-vs-fp32-cpu', figure: 'greedyIdenticalPrefix', atLeast: 32, why: 'all 32 greedy tokens were measured identical' },
  {
    step: 'qwen-fp16-webgpu-vs-fp32-cpu',
    figure: 'maxRelativeDiff',
    atMost: 0.03,
    why: 'no GPU figure recorded yet: fp16 on the CPU provider differs by 0.0019 of the largest logit here, and the demo model differed 6.6× more on WebGPU than on the CPU; this allows 15×',
  },
  { step: 'qwen-fp16-webgpu-speed', figure: 'kvLocation', equals: 'gpu-buffer', why: 'with the past K/V uploaded every call, one attention decode step took 45 ms on WebGPU against 9 ms on the CPU' },
  {
    step: 'qwen-fp16-webgpu-speed',
    figure: 'decodeTokensPerSecond',
    atLeast: 32,
    why: 'measured 64 tok/s at this shape on an H200 (November 2026); half of that is a regression, not noise',
  },
];

function figureAt(result: unknown, path: string): unknown {
  let value = result;
  for (const key of path.split('.')) value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
  return value;
}

function stepProblem(results: Record<string, unknown>, step: string): string | null {
  if (!(step in results)) return `${step}: did not run`;
  const result = results[step];
  if (result !== null && typeof result === 'object' && 'error' in result) return `${step}: failed: ${String((result as { error: unknown }).error)}`;
  return null;
}

function limitProblem(value: unknown, limit: GpuCheckLimit): string | null {
  const name = `${limit.step}.${limit.figure}`;
  if (limit.equals !== undefined) {
    return value === limit.equals ? null : `${name} = ${JSON.stringify(value)}, expected ${JSON.stringify(limit.equals)} (${limit.why})`;
  }
  // A NaN (written as null in JSON) or a missing figure fails: it is no evidence of being within the limit.
  if (typeof value !== 'number' || !Number.isFinite(value)) return `${name} = ${String(value)}, not a finite number (${limit.why})`;
  if (limit.atMost !== undefined && !(value <= limit.atMost)) return `${name} = ${value} exceeds ${limit.atMost} (${limit.why})`;
  if (limit.atLeast !== undefined && !(value >= limit.atLeast)) return `${name} = ${value} is below ${limit.atLeast} (${limit.why})`;
  return null;
}

/** Every exceeded limit, failed or missing step, and a fatal error, one line each; empty when the run passes. */
export function gpuCheckFailures(results: Record<string, unknown>, limits: GpuCheckLimit[] = GPU_CHECK_LIMITS, steps: string[] = GPU_CHECK_STEPS): string[] {
  const failures: string[] = [];
  if ('fatal' in results) failures.push(`fatal: ${String(results.fatal).split('\n')[0]}`);
  const failedSteps = new Set<string>();
  for (const step of new Set([...steps, ...limits.map((l) => l.step)])) {
    const problem = stepProblem(results, step);
    if (problem) {
      failures.push(problem);
      failedSteps.add(step);
    }
  }
  for (const limit of limits) {
    if (failedSteps.has(limit.step)) continue;
    const problem = limitProblem(figureAt(results[limit.step], limit.figure), limit);
    if (problem) failures.push(problem);
  }
  return failures;
}
