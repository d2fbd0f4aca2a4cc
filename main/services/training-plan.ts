// The Fine-tune form's base-precision dropdown: the training memory plan of the job being set up
// (engine/memory-plan/training-memory-plan.ts) at each base precision, and whether it fits this
// machine's RAM with PLAN_HEADROOM free, as the chat's quantization dropdown says for inference.
import type { TrainingPlan, TrainingPlanInput } from '../common/contracts/jobs.ts';
import { BASE_DTYPES, TrainingPlanInputSchema } from '../common/contracts/jobs.ts';
import { fitsIn } from '../engine/memory-plan/memory-plan.ts';
import { formatGb, PLAN_HEADROOM } from '../engine/memory-plan/precision-plan.ts';
import { planTrainingMemory } from '../engine/memory-plan/training-memory-plan.ts';
import type { Store } from '../store/store.ts';
import type { HardwareService } from './hardware-service.ts';
import { requireModel, specOf } from './model-records.ts';

export async function planTrainingJob(store: Store, hardware: HardwareService, input: TrainingPlanInput): Promise<TrainingPlan> {
  const job = TrainingPlanInputSchema.parse(input);
  const spec = specOf(requireModel(store, job.baseModelId));
  const { ramTotalBytes } = await hardware.get();
  // DPO runs the chosen and rejected rows of each pair together.
  const batch = job.method === 'dpo' ? 2 * job.batchSize : job.batchSize;
  const sequence = Math.min(job.maxLength, spec.contextLength);
  const options = BASE_DTYPES.map((baseDtype) => {
    if (baseDtype === 'fp16') return { baseDtype, totalBytes: null, fits: false, note: 'needs the GPU: not available for training yet' };
    const plan = planTrainingMemory(spec, { baseDtype, batch, sequence, r: job.r, targets: job.targets });
    const fits = fitsIn(plan, ramTotalBytes, PLAN_HEADROOM);
    return { baseDtype, totalBytes: plan.totalBytes, fits, note: `${formatGb(plan.totalBytes)} GB for ${batch} × ${sequence} tokens${fits ? '' : ` (more than ${formatGb(ramTotalBytes * (1 - PLAN_HEADROOM))} GB free)`}` };
  });
  return { ramTotalBytes, options };
}
