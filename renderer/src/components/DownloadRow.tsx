// One download as both the Discover page and the Models page show it: its state, a progress bar
// with the bytes, speed and time left, each file's progress on request, why it is retrying or
// failed, and Pause, Resume and Cancel; once in the library, "Chat with it".
import type { Download } from '../../../main/common/contracts/hub.ts';
import { formatBytes } from '../format/format-bytes.ts';
import { downloadFraction, downloadProgressText, downloadTitle } from '../format/download-text.ts';

export interface DownloadActions {
  pause: (jobId: string) => void;
  resume: (jobId: string) => void;
  cancel: (jobId: string) => void;
  /** Opens a new chat with the model a completed download became; the button is left out without it. */
  chat?: (modelId: string) => void;
}

export function DownloadRow({ download, actions }: { download: Download; actions: DownloadActions }) {
  const { jobId, repo, state, progress } = download;
  const fraction = downloadFraction(progress);
  const showBar = state === 'running' || state === 'importing' || state === 'paused' || state === 'failed';
  return (
    <li className="download-row" aria-label={`Download of ${repo}${download.file ? ` (${download.file})` : ''}`}>
      <div className="download-head">
        <strong>{downloadTitle(download)}</strong>
        {(state === 'running' || state === 'importing') && (
          <button type="button" disabled={state === 'importing'} onClick={() => actions.pause(jobId)}>
            Pause
          </button>
        )}
        {download.resumable && (
          <button type="button" onClick={() => actions.resume(jobId)}>
            Resume
          </button>
        )}
        {state !== 'completed' && state !== 'cancelled' && (
          <button type="button" className="danger" disabled={state === 'importing'} onClick={() => actions.cancel(jobId)}>
            Cancel
          </button>
        )}
        {state === 'completed' && download.modelId && actions.chat && (
          <button type="button" onClick={() => actions.chat!(download.modelId!)}>
            Chat with it
          </button>
        )}
      </div>
      {showBar && (
        <div className="download-bar" role="status">
          <progress aria-label={`Download of ${repo}`} max={1} value={fraction ?? undefined} />
          {fraction !== null && <span>{Math.floor(fraction * 100)} %</span>}
          <span className="muted">{downloadProgressText(progress)}</span>
        </div>
      )}
      {progress.retrying && state === 'running' && <p className="muted">Fetching again: {progress.retrying}</p>}
      {download.error && (
        <p className="error-box" role="alert">
          {download.error}
        </p>
      )}
      {progress.files.length > 1 && state === 'running' && (
        <details className="download-files">
          <summary>{progress.files.filter((f) => f.state === 'done').length} of {progress.files.length} files verified</summary>
          <ul>
            {progress.files.map((f) => (
              <li key={f.path}>
                {f.path}: {formatBytes(f.doneBytes)} of {formatBytes(f.totalBytes)} ({f.state})
              </li>
            ))}
          </ul>
        </details>
      )}
    </li>
  );
}
