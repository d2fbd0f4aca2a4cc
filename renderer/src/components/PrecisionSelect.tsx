// The "Quantization" dropdown shows the precision plan: each precision with its memory, where it
// fits and its quality cost; the recommendation marked; options that fit nowhere disabled with
// the reason. The plan's own sentence (which gives the CPU reason when it runs on the CPU) sits below.
import type { Precision } from '../../../main/common/model-manifest.ts';
import type { PrecisionPlan } from '../../../main/common/precision-plan-contract.ts';
import { precisionChoices } from '../format/precision-option-label.ts';

export interface PrecisionSelectProps {
  plan: PrecisionPlan | null;
  planError: string | null;
  precision: Precision | null;
  hasModel: boolean;
  onChange: (precision: Precision) => void;
}

export function PrecisionSelect({ plan, planError, precision, hasModel, onChange }: PrecisionSelectProps) {
  const choices = plan ? precisionChoices(plan) : [];
  const chosen = choices.find((c) => c.value === precision);
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
      </p>
    </div>
  );
}
