// The progress of building the chosen precision's variant, from model.build events.
import { buildFraction } from '../state/build-progress.ts';
import type { BuildProgress } from '../state/build-progress.ts';

export function BuildProgressBar({ precision, progress }: { precision: string; progress: BuildProgress }) {
  if (progress.state === 'ready') return null;
  if (progress.state === 'failed') {
    return (
      <p className="build-failed" role="alert">
        Building {precision} failed: {progress.error?.message ?? 'no reason was given.'}
      </p>
    );
  }
  const fraction = buildFraction(progress);
  return (
    <div className="build-progress" role="status">
      <label>
        <span>
          Building {precision}: {progress.label}
        </span>
        <progress aria-label={`Building ${precision}`} max={1} value={fraction ?? undefined} />
      </label>
      {fraction !== null && <span>{Math.round(fraction * 100)} %</span>}
    </div>
  );
}
