// Learning-rate schedules as Hugging Face's Trainer applies them: a linear warmup from 0, then
// a linear decay to 0 or a half-cosine to 0 at the last step. The optimizer step with index s
// (0-based) uses lr · factor(s).

export const LR_SCHEDULES = ['linear', 'cosine', 'constant'] as const;
export type LrSchedule = (typeof LR_SCHEDULES)[number];

export function learningRateAt(step: number, totalSteps: number, peak: number, warmupSteps: number, schedule: LrSchedule): number {
  if (step < warmupSteps) return (peak * step) / Math.max(1, warmupSteps);
  if (schedule === 'constant') return peak;
  const progress = (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
  if (schedule === 'linear') return peak * Math.max(0, 1 - progress);
  return peak * Math.max(0, 0.5 * (1 + Math.cos(Math.PI * progress)));
}
