// The "Quantization" dropdown shows the precision plan: each precision with its memory, where it
// fits and its quality cost; the recommendation marked; options that fit nowhere disabled with
// the reason. The plan's own sentence (which gives the CPU reason when it runs on the CPU) sits below.
// Where the chosen precision's cost is a typical figure from another model (or none), "Measure
// quality" measures this model's own once; the plan that comes back shows it.
import { useState } from 'react';
import type { Precision } from '../../../main/common/model-manifest.ts';
import type { PrecisionPlan } from '../../../main/common/precision-plan-contract.ts';
import { precisionChoices } from '../format/precision-option-label.ts';

export interface PrecisionSelectProps {
  plan: PrecisionPlan | null;
  planError: string | null;
  precision: Precision | null;
  hasModel: boolean;
  onChange: (precision: Precision) => void;
  /** Measures the precision's cost on this model; rejects with the reason it could not. */
  onMeasureQuality: (precision: Precision) => Promise<void>;
}

export function PrecisionSelect({ plan, planError, precision, hasModel, onChange, onMeasureQuality }: PrecisionSelectProps) {
  const [measuring, setMeasuring] = useState<Precision | null>(null);
  const [measureError, setMeasureError] = useState<string | null>(null);
  const choices = plan ? precisionChoices(plan) : [];
  const chosen = choices.find((c) => c.value === precision);
  const basis = plan?.options.find((o) => o.precision === precision)?.quality.basis;
  const canMeasure = precision !== null && (basis === 'typical' || basis === 'unmeasured');
  const measure = (which: Precision) => {
    setMeasuring(which);
    setMeasureError(null);
    onMeasureQuality(which)
      .catch((error: unknown) => setMeasureError(error instanceof Error ? error.message : String(error)))
      .finally(() => setMeasuring(null));
  };
  const placeholder = !hasModel ? 'Choose a model first' : planError ? 'No plan' : 'Planning…';
  return (
    <div className="precision">
      <label className="top-bar-field">
        <span>Quantization</span>
        <select
          aria-label="Quantization"
          aria-describedby="precision-detail"
          value={plan ? (precision ?? '') : ''}
          disabled={!plan}
          onChange={(e) => onChange(e.target.value as Precision)}
        >
          {(!plan || precision === null) && <option value="">{placeholder}</option>}
          {choices.map((c) => (
            <option key={c.value} value={c.value} disabled={c.disabled} title={c.detail}>
              {c.label}
            </option>
          ))}
        </select>
      </label>
      <p id="precision-detail" className="precision-detail">
        {planError ?? [plan?.message, chosen?.detail].filter(Boolean).join(' · ')}
        {canMeasure && (
          <button type="button" className="precision-measure" disabled={measuring !== null} onClick={() => measure(precision)}>
            {measuring === precision ? 'Measuring quality…' : 'Measure quality'}
          </button>
        )}
      </p>
      {measuring !== null && <p className="precision-detail">Building {measuring} and fp32 where needed, then scoring both on a short public-domain text; this takes a while on large models.</p>}
      {measureError && (
        <p className="precision-detail" role="alert">
          Could not measure the quality: {measureError}
        </p>
      )}
    </div>
  );
}
