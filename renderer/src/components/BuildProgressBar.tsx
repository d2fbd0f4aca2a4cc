// The progress of building a precision's variant, from model.build events: the builder's step,
// the bytes written, the time left, and Cancel (the build stops and the variant stays not built;
// "Build" starts it again).
import { buildProgressText } from '../format/build-progress-text.ts';
import { buildFraction } from '../state/build-progress.ts';
import type { BuildProgress } from '../state/build-progress.ts';

export interface BuildProgressBarProps {
  precision: string;
  progress: BuildProgress;
  /** Stops the build; the button is left out without it. */
  onCancel?: () => void;
  /** Starts a cancelled build again; the button is left out without it. */
  onBuild?: () => void;
}

export function BuildProgressBar({ precision, progress, onCancel, onBuild }: BuildProgressBarProps) {
  if (progress.state === 'ready') return null;
  if (progress.state === 'cancelled') {
    return (
      <p className="build-cancelled" role="status">
        The {precision} build was cancelled; {precision} is not built.
        {onBuild && (
          <button type="button" onClick={onBuild}>
            Build {precision}
          </button>
        )}
      </p>
    );
  }
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
          Building {precision}: {buildProgressText(progress)}
        </span>
        <progress aria-label={`Building ${precision}`} max={1} value={fraction ?? undefined} />
      </label>
      {fraction !== null && <span>{Math.round(fraction * 100)} %</span>}
      {onCancel && (
        <button type="button" aria-label={`Cancel the ${precision} build`} onClick={onCancel}>
          Cancel
        </button>
      )}
    </div>
  );
}
