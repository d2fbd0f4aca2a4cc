// The "Model" dropdown: every model in the library, by name.
import type { ModelSummary } from '../../../main/common/contracts/models.ts';

export interface ModelSelectProps {
  models: ModelSummary[];
  modelId: string | null;
  onChange: (modelId: string | null) => void;
}

export function ModelSelect({ models, modelId, onChange }: ModelSelectProps) {
  const known = modelId === null || models.some((m) => m.id === modelId);
  return (
    <label className="top-bar-field">
      <span>Model</span>
      <select aria-label="Model" value={modelId ?? ''} onChange={(e) => onChange(e.target.value || null)}>
        <option value="">{models.length ? 'Choose a model…' : 'No models yet: import one under Models'}</option>
        {!known && <option value={modelId ?? ''}>(removed model)</option>}
        {models.map((m) => (
          <option key={m.id} value={m.id}>
            {m.name}
            {m.bundled ? ' (bundled demo)' : ''}
          </option>
        ))}
      </select>
    </label>
  );
}
