// The Fine-tune form's "Base precision" dropdown: the frozen base at fp32, int8 or int4 (QLoRA),
// each with the job's planned memory for the batch and length set below and whether it fits this
// machine (the training memory plan, as the chat's Quantization dropdown shows the inference
// plan). Choices that will not fit are disabled: the job would be refused before it starts.
import { useEffect, useState } from 'react';
import type { BaseDtype, FinetuneMethod, TrainingPlan } from '../../../main/common/contracts/jobs.ts';
import type { ApiClient } from '../api/api-client.ts';
import { errorMessage } from '../api/api-client.ts';

const PLAN_DELAY_MS = 300;

export interface TrainingShape {
  method: FinetuneMethod;
  r: number;
  targets: string;
  batchSize: number;
  maxLength: number;
}

export interface BasePrecisionSelectProps {
  client: ApiClient;
  modelId: string;
  /** The job's shape, or null while a field is not a valid number. */
  shape: TrainingShape | null;
  baseDtype: BaseDtype;
  onChange: (baseDtype: BaseDtype) => void;
}

export function BasePrecisionSelect({ client, modelId, shape, baseDtype, onChange }: BasePrecisionSelectProps) {
  const [plan, setPlan] = useState<TrainingPlan | null>(null);
  const [error, setError] = useState<string | null>(null);
  const key = shape && modelId ? JSON.stringify([modelId, shape]) : null;
  useEffect(() => {
    if (!key || !shape) {
      setPlan(null);
      return;
    }
    let current = true;
    const timer = setTimeout(() => {
      client
        .call('jobs.trainingPlan', { baseModelId: modelId, ...shape })
        .then((result) => current && (setPlan(result), setError(null)))
        .catch((e: unknown) => current && (setPlan(null), setError(errorMessage(e))));
    }, PLAN_DELAY_MS);
    return () => {
      current = false;
      clearTimeout(timer);
    };
    // `key` stands for modelId and shape, which are new objects at every render.
  }, [client, key]);
  const chosen = plan?.options.find((o) => o.baseDtype === baseDtype);
  return (
    <label title="The frozen base's precision while training; the adapter is the same PEFT adapter whatever it is">
      <span>Base precision</span>
      <select aria-label="Base precision" aria-describedby="base-precision-detail" value={baseDtype} onChange={(e) => onChange(e.target.value as BaseDtype)}>
        {(plan?.options ?? [{ baseDtype, totalBytes: null, fits: true, note: '' }]).map((o) => (
          <option key={o.baseDtype} value={o.baseDtype} disabled={plan !== null && !o.fits && o.baseDtype !== baseDtype} title={o.note}>
            {o.baseDtype}
            {o.totalBytes !== null ? ` · ${(o.totalBytes / 1024 ** 3).toFixed(1)} GB · ${o.fits ? 'fits' : 'does not fit'}` : plan ? ' · unavailable' : ''}
          </option>
        ))}
      </select>
      <small id="base-precision-detail" className={chosen && !chosen.fits ? 'dataset-bad' : 'muted'} role={chosen && !chosen.fits ? 'alert' : undefined}>
        {error ?? (chosen ? `${chosen.fits ? 'Fits' : 'Does not fit'}: ${chosen.note}` : key ? 'Planning…' : '')}
      </small>
    </label>
  );
}
