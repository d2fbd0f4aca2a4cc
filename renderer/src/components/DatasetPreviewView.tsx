// What a dataset file holds before a job trains on it: the number of rows by shape, the first
// rows, and every bad line by number (the first ones, and how many more).
import type { DatasetPreview } from '../../../main/common/contracts/jobs.ts';

export interface DatasetPreviewViewProps {
  /** The accessible name of the region ("Training data preview"). */
  label: string;
  preview: DatasetPreview | null;
  error: string | null;
  loading: boolean;
}

function countsText(preview: DatasetPreview): string {
  const parts = Object.entries(preview.counts)
    .filter(([, n]) => n > 0)
    .map(([kind, n]) => `${n} ${kind}`);
  return `${preview.rows} row${preview.rows === 1 ? '' : 's'}${parts.length ? ` (${parts.join(', ')})` : ''}`;
}

export function DatasetPreviewView({ label, preview, error, loading }: DatasetPreviewViewProps) {
  if (!preview && !error && !loading) return null;
  return (
    <section className="dataset-preview" aria-label={label} aria-busy={loading}>
      {loading && <p className="muted">Reading the file…</p>}
      {error && (
        <p className="error-box" role="alert">
          {error}
        </p>
      )}
      {preview && !loading && (
        <>
          <p role="status" className={preview.ok ? 'dataset-ok' : 'dataset-bad'}>
            {preview.ok
              ? `Valid: ${countsText(preview)}.`
              : preview.rows === 0 && preview.problemCount === 0
                ? 'The file holds no examples (one JSON object per line).'
                : `${preview.problemCount} bad line${preview.problemCount === 1 ? '' : 's'}; ${countsText(preview)} are fine. Fix or remove the bad lines to train.`}
          </p>
          {preview.problems.length > 0 && (
            <ul className="dataset-problems" aria-label="Problems">
              {preview.problems.map((p) => (
                <li key={p.line}>
                  Line {p.line}: {p.message}
                </li>
              ))}
              {preview.problemCount > preview.problems.length && <li>…and {preview.problemCount - preview.problems.length} more.</li>}
            </ul>
          )}
          {preview.firstRows.length > 0 && (
            <table className="dataset-rows">
              <caption className="visually-hidden">First rows</caption>
              <thead>
                <tr>
                  <th scope="col">Line</th>
                  <th scope="col">Shape</th>
                  <th scope="col">Example</th>
                </tr>
              </thead>
              <tbody>
                {preview.firstRows.map((row) => (
                  <tr key={row.line}>
                    <td>{row.line}</td>
                    <td>{row.kind}</td>
                    <td>{row.text}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </section>
  );
}
