// The memory planner against peaks it was not calibrated on. Its constants were fitted to
// qwen2.5-0.5b at 640 tokens (main/engine/memory-plan/memory-plan.test.ts); these are `hearth bench … --json`
// peak RSS figures at a second shape (the bundled demo model, 4.7M parameters, where the runtime
// dominates) and at long context (the 0.5B shape at 4,096 tokens, the narrow shape at 8,192).
// Building those graphs and measuring their RSS in a test is not cheap (the 0.5B one prefills for
// about a minute), so the figures are recorded here with the command that measured them.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { planMemory, type MemoryPlanOptions } from '../memory-plan/memory-plan.ts';
import type { Precision } from '../../common/model-manifest.ts';
import type { ModelSpec } from '../../common/model-spec.ts';
import { NARROW_LONG_CONTEXT, QWEN25_05B } from './reference-model-shapes.ts';
import { openModelSource } from '../architectures/model-source.ts';

const DEMO_DIR = join(new URL('../../../', import.meta.url).pathname, 'resources/models/shakespeare-5m');

interface MeasuredPeak {
  /** The `hearth bench` arguments (with --json) that measured it. */
  command: string;
  shape: 'demo' | 'qwen' | 'narrow';
  precision: Precision;
  options: MemoryPlanOptions;
  context: number;
  /** peak_rss_mb: the process's maxRSS, MiB. */
  peakMib: number;
}

/**
 * Measured 2026-12-06 on an "Intel(R) Xeon(R) Processor" (2 vCPUs, AVX-512 VNNI, AMX), onnxruntime-node
 * 1.30.0, 2 threads, while other work on the machine used about 70 % of the CPUs (other_cpu_pct
 * 63–75): that slowed the runs, not their peak memory. The process held 97–119 MB before the model opened.
 */
const MEASURED_PEAKS: readonly MeasuredPeak[] = [
  { command: '--shape resources/models/shakespeare-5m --dtype fp32 --prompt 256 --gen 32', shape: 'demo', precision: 'fp32', options: {}, context: 288, peakMib: 198.5 },
  { command: '--shape resources/models/shakespeare-5m --dtype int8 --prompt 256 --gen 32', shape: 'demo', precision: 'int8', options: { int8Kernel: 'dynamic' }, context: 288, peakMib: 191.7 },
  { command: '--shape resources/models/shakespeare-5m --dtype int4 --prompt 256 --gen 32', shape: 'demo', precision: 'int4', options: {}, context: 288, peakMib: 186.5 },
  { command: '--shape qwen2.5-0.5b --dtype int8 --context 4096 --prompt 4088 --gen 8', shape: 'qwen', precision: 'int8', options: { int8Kernel: 'dynamic' }, context: 4096, peakMib: 1389.4 },
  { command: '--shape narrow-8k --dtype fp32 --context 8192 --prompt 8184 --gen 8', shape: 'narrow', precision: 'fp32', options: {}, context: 8192, peakMib: 284.4 },
  {
    command: '--shape narrow-8k --dtype fp32 --attention reference --context 8192 --prompt 4096 --gen 8',
    shape: 'narrow',
    precision: 'fp32',
    options: { attention: 'reference' },
    context: 8192,
    peakMib: 2027.3,
  },
];

/** The prefill chunk bench plans with: the whole prompt in one call. */
function promptOf(command: string): number {
  return Number(/--prompt (\d+)/.exec(command)![1]);
}

/**
 * How far the planner may be from these peaks: 10 %, its goal at the calibration shape too, for
 * fused attention (the largest miss is the 0.5B shape's 4k prefill, 7 % under). Reference
 * attention it plans 38 % above the peak at 4k (it counts more score matrices alive than the
 * runtime keeps there): on the safe side, held to 40 % so that drift either way is caught.
 */
function toleranceOf(row: MeasuredPeak): number {
  return row.options.attention === 'reference' ? 0.4 : 0.1;
}

describe('the memory planner at a second shape and at long context, against measured peak RSS', () => {
  let demo: ModelSpec;
  before(async () => {
    demo = (await openModelSource(DEMO_DIR)).spec;
  });

  for (const row of MEASURED_PEAKS) {
    it(`hearth bench ${row.command}: measured ${row.peakMib} MiB`, () => {
      const spec = row.shape === 'demo' ? demo : row.shape === 'qwen' ? QWEN25_05B : NARROW_LONG_CONTEXT;
      const plan = planMemory(spec, row.precision, row.context, { ...row.options, workspace: { prefillChunkTokens: promptOf(row.command) } });
      const plannedMib = plan.totalBytes / 2 ** 20;
      const error = (plannedMib - row.peakMib) / row.peakMib;
      assert.ok(Math.abs(error) <= toleranceOf(row), `planned ${plannedMib.toFixed(1)} MiB against ${row.peakMib} measured (${(error * 100).toFixed(1)} %)`);
    });
  }
});
