// One fine-tune job: its state and progress (step of total, time left), the live loss chart,
// Cancel while it runs and Resume once cancelled or failed (it continues from its checkpoint),
// and for a finished job its adapter: chat with it, or merge it into a new library model.
import { useState } from 'react';
import type { JobDetail } from '../../../main/common/contracts/jobs.ts';
import type { ApiClient } from '../api/api-client.ts';
import { errorMessage } from '../api/api-client.ts';
import { progressText, stateText } from '../format/job-text.ts';
import { LossChart } from './LossChart.tsx';
import { PreferenceCharts } from './PreferenceCharts.tsx';

export interface JobViewProps {
  client: ApiClient;
  job: JobDetail;
  title: string;
  onChatWithAdapter: (adapterId: string) => void;
  onDeleted: () => void;
}

function configText(job: JobDetail): string {
  const c = job.config;
  const length = c.steps === null ? `${c.epochs} epochs` : `${c.steps} steps`;
  return `${c.method === 'dpo' ? `DPO, beta ${c.beta}, ` : ''}r ${c.r}, alpha ${c.alpha}, ${c.targets}, learning rate ${c.learningRate}, batch ${c.batchSize}${c.gradAccum > 1 ? ` × ${c.gradAccum}` : ''}, ${length}, ${c.schedule}`;
}

export function JobView({ client, job, title, onChatWithAdapter, onDeleted }: JobViewProps) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [mergeName, setMergeName] = useState('');
  const [merged, setMerged] = useState<string | null>(null);

  const act = async (work: () => Promise<unknown>) => {
    setError(null);
    setBusy(true);
    try {
      await work();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  const running = job.state === 'running' || job.state === 'queued';
  const percent = job.progress.totalSteps ? Math.round((100 * job.progress.step) / job.progress.totalSteps) : 0;
  const adapterId = job.adapterId;

  return (
    <section className="job-view" aria-labelledby="job-view-title">
      <h3 id="job-view-title">{title}</h3>
      <p className="muted job-config">{configText(job)}</p>
      <div className="job-progress" role="group" aria-label="Job progress">
        <span className={`job-state job-state-${job.state}`}>{stateText(job)}</span>
        <progress max={100} value={percent} aria-label="Training progress" />
        <span className="job-step">{progressText(job)}</span>
      </div>
      {job.error && (
        <p className="error-box" role="alert">
          {job.error}
        </p>
      )}
      <LossChart metrics={job.metrics} />
      {job.config.method === 'dpo' && <PreferenceCharts metrics={job.metrics} />}
      <div className="job-actions">
        {running && (
          <button type="button" disabled={busy} onClick={() => void act(() => client.call('jobs.cancel', { jobId: job.id }))}>
            Cancel
          </button>
        )}
        {job.resumable && (
          <button type="button" disabled={busy} onClick={() => void act(() => client.call('jobs.resume', { jobId: job.id }))}>
            Resume
          </button>
        )}
        {job.resumable && <span className="muted">{job.checkpointStep === null ? 'No checkpoint yet: it starts again from step 0.' : `Continues from the checkpoint at step ${job.checkpointStep}.`}</span>}
        {!running && (
          <button
            type="button"
            className="danger"
            disabled={busy}
            onClick={() =>
              void act(async () => {
                await client.call('jobs.delete', { jobId: job.id });
                onDeleted();
              })
            }
          >
            Delete job
          </button>
        )}
      </div>
      {adapterId && (
        <div className="job-adapter" role="group" aria-label="Adapter">
          <p>
            The adapter is ready (PEFT format){job.adapterDir ? <span className="muted"> in {job.adapterDir}</span> : null}.
          </p>
          <button type="button" disabled={busy} onClick={() => onChatWithAdapter(adapterId)}>
            Chat with adapter
          </button>
          <form
            className="job-merge"
            aria-label="Merge into a new model"
            onSubmit={(e) => {
              e.preventDefault();
              const name = mergeName.trim();
              if (!name) return;
              void act(async () => {
                const model = await client.call('models.mergeAdapter', { adapterId, name });
                setMerged(`Merged into the new model “${model.name}”: choose it under Model to chat, at any precision.`);
                setMergeName('');
              });
            }}
          >
            <label>
              <span>New model name</span>
              <input value={mergeName} maxLength={200} onChange={(e) => setMergeName(e.target.value)} />
            </label>
            <button type="submit" disabled={busy || !mergeName.trim()}>
              Merge into new model
            </button>
          </form>
          {merged && <p role="status">{merged}</p>}
        </div>
      )}
      {error && (
        <p className="error-box" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
