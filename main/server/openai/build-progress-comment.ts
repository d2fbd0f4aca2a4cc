// A streamed reply whose model must be built first says how the build goes, as SSE comments
// (lines starting with ':', which every SSE client skips, so OpenAI clients ignore them), e.g.
//   : build int4 building step=3/26 label="layer 3 of 24" bytes=125829120/367001600 eta_s=70
//   : build int4 ready
// bytes is what the builder has written (/ the planner's figure for the whole, when known) and
// eta_s the seconds it expects to take yet; fields it cannot tell yet are left out. The builder
// reports often: a comment goes out when the step or the state changes, else at most once a second.
import type { BuildProgress } from '../../services/api-completions.ts';

/** The least time between two comments about the same step. */
export const BUILD_COMMENT_INTERVAL_MS = 1000;

export function buildProgressComment(progress: BuildProgress): string {
  const fields = [`build ${progress.precision} ${progress.state}`];
  if (progress.state === 'building') {
    fields.push(`step=${progress.done}/${progress.total}`, `label=${JSON.stringify(oneLine(progress.label))}`);
    if (progress.bytesWritten !== undefined) fields.push(`bytes=${progress.bytesWritten}${progress.expectedBytes ? `/${Math.round(progress.expectedBytes)}` : ''}`);
    if (progress.etaMs !== undefined && progress.etaMs !== null) fields.push(`eta_s=${Math.round(progress.etaMs / 1000)}`);
  }
  return fields.join(' ');
}

/** Decides which progress events become comments: each new step or state, and the same step at most once a second. */
export class BuildCommentThrottle {
  private lastStep: string | null = null;
  private lastAt = -Infinity;

  /** The comment to send now, or null to skip this event. */
  next(progress: BuildProgress, now = Date.now()): string | null {
    const step = `${progress.precision} ${progress.state} ${progress.done}/${progress.total} ${progress.label}`;
    if (step === this.lastStep && now - this.lastAt < BUILD_COMMENT_INTERVAL_MS) return null;
    this.lastStep = step;
    this.lastAt = now;
    return buildProgressComment(progress);
  }
}

/** An SSE comment is one line: a label never breaks it. */
function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ');
}
