// The "Fine-tune" page: a new job's form, the job being looked at (progress, live loss chart,
// cancel/resume, its adapter), and the history of jobs. The page shows what App keeps current
// from the event stream; it calls the API for what the user does.
import type { Job, JobDetail } from '../../../main/common/contracts/jobs.ts';
import type { ModelSummary } from '../../../main/common/contracts/models.ts';
import type { ApiClient } from '../api/api-client.ts';
import { jobTitle } from '../format/job-text.ts';
import { JobHistory } from './JobHistory.tsx';
import { JobView } from './JobView.tsx';
import { NewJobForm } from './NewJobForm.tsx';
import './FineTunePage.css';

export interface FineTunePageProps {
  client: ApiClient;
  models: ModelSummary[];
  jobs: Job[];
  viewedJob: JobDetail | null;
  onViewJob: (jobId: string | null) => void;
  onChatWithAdapter: (adapterId: string) => void;
}

export function FineTunePage({ client, models, jobs, viewedJob, onViewJob, onChatWithAdapter }: FineTunePageProps) {
  const titleOf = (job: Job) => jobTitle(job, models.find((m) => m.id === job.baseModelId)?.name);
  return (
    <section className="finetune" aria-labelledby="finetune-title">
      <h2 id="finetune-title">Fine-tune</h2>
      <p className="muted">LoRA fine-tuning on this computer: the base model stays as it is, and the adapter it learns can be chatted with or merged into a new model.</p>
      <NewJobForm client={client} models={models} onStarted={(id) => onViewJob(id)} />
      {viewedJob && <JobView key={viewedJob.id} client={client} job={viewedJob} title={titleOf(viewedJob)} onChatWithAdapter={onChatWithAdapter} onDeleted={() => onViewJob(null)} />}
      <JobHistory jobs={jobs} titleOf={titleOf} viewedId={viewedJob?.id ?? null} onView={(id) => onViewJob(id)} />
    </section>
  );
}
