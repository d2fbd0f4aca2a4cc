// The Fine-tune page's state: the jobs, the adapters they made, and the job being viewed with
// its loss curve, which follows the job's progress events as they come.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { ApiEvent } from '../../../main/common/contracts/events.ts';
import type { Adapter, Job, JobDetail } from '../../../main/common/contracts/jobs.ts';
import type { ApiClient } from '../api/api-client.ts';
import { applyProgressToDetail, applyProgressToList, type JobProgressEvent } from './job-progress.ts';

const FINAL_JOB_STATES: readonly Job['state'][] = ['completed', 'failed', 'cancelled'];

export interface FineTunePageState {
  jobs: Job[];
  adapters: Adapter[];
  viewedJob: JobDetail | null;
  /** Shows a job with its curve (null: none). */
  viewJob: (jobId: string | null) => Promise<void>;
  handleEvent: (event: ApiEvent) => void;
}

export function useFineTunePage(client: ApiClient, report: (error: unknown) => void): FineTunePageState {
  const [jobs, setJobs] = useState<Job[]>([]);
  const [adapters, setAdapters] = useState<Adapter[]>([]);
  const [viewedJob, setViewedJob] = useState<JobDetail | null>(null);

  const reloadAdapters = useCallback(async () => {
    try {
      setAdapters(await client.call('adapters.list', {}));
    } catch (e) {
      report(e);
    }
  }, [client, report]);

  /** The list, and the viewed job's state, checkpoint and adapter (its curve and step follow the events). */
  const reloadJobs = useCallback(async () => {
    try {
      const list = await client.call('jobs.list', {});
      setJobs(list);
      setViewedJob((viewed) => {
        const fresh = viewed && list.find((job) => job.id === viewed.id);
        if (!viewed || !fresh) return null;
        return { ...fresh, progress: viewed.state === fresh.state ? viewed.progress : fresh.progress, metrics: viewed.metrics };
      });
    } catch (e) {
      report(e);
    }
  }, [client, report]);

  const viewedJobIdRef = useRef<string | null>(null);
  /** Events of the viewed job that arrive while its detail loads: replayed over it (they are idempotent). */
  const jobEventsWhileLoading = useRef<JobProgressEvent[] | null>(null);
  const viewJob = useCallback(
    async (jobId: string | null) => {
      viewedJobIdRef.current = jobId;
      if (!jobId) {
        setViewedJob(null);
        return;
      }
      const buffer: JobProgressEvent[] = [];
      jobEventsWhileLoading.current = buffer;
      try {
        const detail = await client.call('jobs.get', { jobId });
        if (viewedJobIdRef.current === jobId) setViewedJob(buffer.reduce(applyProgressToDetail, detail));
      } catch (e) {
        report(e);
      } finally {
        if (jobEventsWhileLoading.current === buffer) jobEventsWhileLoading.current = null;
      }
    },
    [client, report],
  );

  useEffect(() => {
    void reloadJobs();
    void reloadAdapters();
  }, [reloadJobs, reloadAdapters]);

  const handleEvent = useCallback(
    (event: ApiEvent) => {
      switch (event.type) {
        case 'job.progress':
          setJobs((list) => applyProgressToList(list, event));
          if (event.jobId === viewedJobIdRef.current) {
            jobEventsWhileLoading.current?.push(event);
            setViewedJob((viewed) => viewed && applyProgressToDetail(viewed, event));
            // The final curve and the adapter, as stored.
            if (FINAL_JOB_STATES.includes(event.state)) void viewJob(event.jobId);
          }
          break;
        case 'jobs.changed':
          void reloadJobs();
          break;
        case 'adapters.changed':
          void reloadAdapters();
          break;
        default:
          break;
      }
    },
    [reloadAdapters, reloadJobs, viewJob],
  );

  return { jobs, adapters, viewedJob, viewJob, handleEvent };
}
