// The form that starts a fine-tune job: the base model, the training data (a path the user
// types, or chooses in the system's dialog in the desktop app; this side reads it and previews it), optional evaluation data, and the parameters with
// their defaults (the learning rate suits the chosen model's size). "Start fine-tune" waits for
// a valid training file.
import { useEffect, useState } from 'react';
import { suggestedLearningRate, type BaseDtype, type DatasetPreview, type FinetuneMethod } from '../../../main/common/contracts/jobs.ts';
import type { ModelSummary } from '../../../main/common/contracts/models.ts';
import type { ApiClient } from '../api/api-client.ts';
import { errorMessage } from '../api/api-client.ts';
import { configFromValues, fieldsFor, formValues, METHODS, SCHEDULES, type ParameterValues } from '../state/finetune-form.ts';
import { BasePrecisionSelect } from './BasePrecisionSelect.tsx';
import { DatasetPreviewView } from './DatasetPreviewView.tsx';
import { PathPickButton } from './PathPickButton.tsx';

const PREVIEW_DELAY_MS = 300;
const JSONL_FILTERS = [{ name: 'JSON Lines', extensions: ['jsonl', 'json'] }];

interface PreviewState {
  preview: DatasetPreview | null;
  error: string | null;
  loading: boolean;
}

const NO_PREVIEW: PreviewState = { preview: null, error: null, loading: false };

const METHOD_LABELS: Record<FinetuneMethod, string> = { sft: 'SFT (learn the answers)', dpo: 'DPO (preference pairs)' };

/** Previews the file at `path` a moment after the user stops typing, read as the method reads it. */
function useDatasetPreview(client: ApiClient, path: string, method: FinetuneMethod): PreviewState {
  const [state, setState] = useState<PreviewState>(NO_PREVIEW);
  useEffect(() => {
    const trimmed = path.trim();
    if (!trimmed) {
      setState(NO_PREVIEW);
      return;
    }
    let current = true;
    setState((s) => ({ ...s, loading: true }));
    const timer = setTimeout(() => {
      client
        .call('jobs.previewDataset', { path: trimmed, method })
        .then((preview) => current && setState({ preview, error: null, loading: false }))
        .catch((e: unknown) => current && setState({ preview: null, error: errorMessage(e), loading: false }));
    }, PREVIEW_DELAY_MS);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [client, path, method]);
  return state;
}

export interface NewJobFormProps {
  client: ApiClient;
  models: ModelSummary[];
  onStarted: (jobId: string) => void;
}

export function NewJobForm({ client, models, onStarted }: NewJobFormProps) {
  const [modelId, setModelId] = useState('');
  const [trainPath, setTrainPath] = useState('');
  const [evalPath, setEvalPath] = useState('');
  const [values, setValues] = useState<ParameterValues>(() => formValues());
  const [learningRateEdited, setLearningRateEdited] = useState(false);
  const [baseDtype, setBaseDtype] = useState<BaseDtype>('fp32');
  const [starting, setStarting] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const train = useDatasetPreview(client, trainPath, values.method);
  const evaluation = useDatasetPreview(client, evalPath, values.method);

  // The first model is the default; the learning rate follows the model's size until the user sets one.
  const model = models.find((m) => m.id === modelId) ?? null;
  useEffect(() => {
    if (!modelId && models.length > 0) setModelId(models[0].id);
  }, [modelId, models]);
  useEffect(() => {
    if (model && !learningRateEdited) setValues((v) => ({ ...v, learningRate: String(suggestedLearningRate(model.parameters)) }));
  }, [model, learningRateEdited]);

  const parsed = configFromValues(values);
  const shape = 'config' in parsed ? { method: parsed.config.method, r: parsed.config.r, targets: parsed.config.targets, batchSize: parsed.config.batchSize, maxLength: parsed.config.maxLength } : null;
  const evalReady = !evalPath.trim() || (evaluation.preview?.ok ?? false);
  const canStart = Boolean(model) && (train.preview?.ok ?? false) && !train.loading && evalReady && !evaluation.loading && !starting;

  const start = async () => {
    const result = configFromValues(values);
    if ('error' in result) {
      setError(result.error);
      return;
    }
    setError(null);
    setStarting(true);
    try {
      const job = await client.call('jobs.create', { baseModelId: modelId, trainPath: trainPath.trim(), evalPath: evalPath.trim() || null, config: { ...result.config, baseDtype } });
      onStarted(job.id);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setStarting(false);
    }
  };

  return (
    <form
      className="new-job"
      aria-label="New fine-tune job"
      onSubmit={(e) => {
        e.preventDefault();
        if (canStart) void start();
      }}
    >
      <div className="new-job-data">
        <label>
          <span>Method</span>
          <select value={values.method} onChange={(e) => setValues({ ...values, method: e.target.value as FinetuneMethod })}>
            {METHODS.map((m) => (
              <option key={m} value={m}>
                {METHOD_LABELS[m]}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span>Base model</span>
          <select value={modelId} onChange={(e) => setModelId(e.target.value)}>
            {models.length === 0 && <option value="">No models yet: import one under Models</option>}
            {models.map((m) => (
              <option key={m.id} value={m.id}>
                {m.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span>Training data</span>
          <input value={trainPath} placeholder="/path/to/train.jsonl" spellCheck={false} onChange={(e) => setTrainPath(e.target.value)} />
        </label>
        <PathPickButton
          client={client}
          request={{ kind: 'file', title: 'Choose the training data', filters: JSONL_FILTERS }}
          label="Choose the training data file"
          onPicked={setTrainPath}
          onError={(e) => setError(errorMessage(e))}
        />
        <label>
          <span>Evaluation data (optional)</span>
          <input aria-label="Evaluation data" value={evalPath} placeholder="without it, 10 % of the training rows" spellCheck={false} onChange={(e) => setEvalPath(e.target.value)} />
        </label>
        <PathPickButton
          client={client}
          request={{ kind: 'file', title: 'Choose the evaluation data', filters: JSONL_FILTERS }}
          label="Choose the evaluation data file"
          onPicked={setEvalPath}
          onError={(e) => setError(errorMessage(e))}
        />
      </div>
      <p className="muted new-job-hint">
        {values.method === 'dpo' ? (
          <>
            JSON Lines, one preference pair per line: {'{"prompt", "chosen", "rejected"}'} as strings or as message lists (TRL's formats). The base model is the reference.
          </>
        ) : (
          <>
            JSON Lines, one example per line: {'{"messages": [...]}'}, {'{"instruction", "input", "output"}'} or {'{"text"}'}. The loss is on the answers only.
          </>
        )}
      </p>
      <DatasetPreviewView label="Training data preview" {...train} />
      {evalPath.trim() && <DatasetPreviewView label="Evaluation data preview" {...evaluation} />}

      <fieldset className="new-job-parameters">
        <legend>Parameters</legend>
        {fieldsFor(values.method).map((field) => (
          <label key={field.key} title={field.hint}>
            <span>{field.label}</span>
            <input
              inputMode={field.kind === 'number' ? 'decimal' : 'text'}
              value={values[field.key]}
              spellCheck={false}
              onChange={(e) => {
                if (field.key === 'learningRate') setLearningRateEdited(true);
                setValues({ ...values, [field.key]: e.target.value });
              }}
            />
          </label>
        ))}
        <BasePrecisionSelect client={client} modelId={modelId} shape={shape} baseDtype={baseDtype} onChange={setBaseDtype} />
        <label>
          <span>Schedule</span>
          <select value={values.schedule} onChange={(e) => setValues({ ...values, schedule: e.target.value as ParameterValues['schedule'] })}>
            {SCHEDULES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
      </fieldset>
      {error && (
        <p className="error-box" role="alert">
          {error}
        </p>
      )}
      <button type="submit" disabled={!canStart}>
        {starting ? 'Starting…' : 'Start fine-tune'}
      </button>
    </form>
  );
}
