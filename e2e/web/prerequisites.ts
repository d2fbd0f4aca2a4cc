// What a web e2e spec file needs before it starts: Chromium, then the renderer bundle (built
// when missing). Each file awaits this at load and passes the reason as its tests' `skip`, so the
// runner reports them as skipped with it.
import { chromiumMissing } from './chromium.ts';
import { ensureRendererBundle } from './renderer-bundle.ts';

/** Why the web e2e specs cannot run here, or false when they can. */
export async function webE2eSkipReason(): Promise<string | false> {
  return chromiumMissing() || (await ensureRendererBundle());
}
