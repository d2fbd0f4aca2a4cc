// Every fine-tune job, most recent first, with its state and progress; choosing one shows it.
import type { Job } from '../../../main/common/contracts/jobs.ts';
import { progressText, stateText } from '../format/job-text.ts';

export interface JobHistoryProps {
  jobs: Job[];
  titleOf: (job: Job) => string;
  viewedId: string | null;
  onView: (jobId: string) => void;
}

export function JobHistory({ jobs, titleOf, viewedId, onView }: JobHistoryProps) {
  return (
    <nav className="job-history" aria-label="Job history">
      <h3>Jobs</h3>
      {jobs.length === 0 ? (
        <p className="muted">No fine-tune jobs yet.</p>
      ) : (
        <ul>
          {jobs.map((job) => (
            <li key={job.id}>
              <button type="button" aria-current={job.id === viewedId ? 'true' : undefined} onClick={() => onView(job.id)}>
                <span className="job-history-title">{titleOf(job)}</span>
                <span className="muted">
                  {stateText(job)} · {progressText(job)} · {new Date(job.createdAt).toLocaleString()}
                </span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </nav>
  );
}
