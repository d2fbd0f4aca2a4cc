// What the build worker process does: build one variant (buildModel) or one build with an adapter
// folded in (buildAdaptedModel) into the partial folder it is given, report progress as protocol
// messages (the builder's steps as they come, and the bytes written and time left on a timer
// while the builder awaits its reads and writes), and say how it ended: 'built' or 'failed' with
// the builder's message. It never moves the folder into place: the host does, once it has heard
// 'built', so a build whose host is gone stays partial. Transport-free: build-worker-main.ts
// wires it to the process.
import { ApiError } from '../common/contracts/api-error.ts';
import type { ModelManifest } from '../common/model-manifest.ts';
import { buildModel, type BuildOptions } from '../engine/builder/build-model.ts';
import { buildAdaptedModel } from '../train/adapted-build.ts';
import { BuildProgressMeter } from './build-progress-meter.ts';
import { BuildRequestSchema, type BuildReply, type StartBuildRequest } from './build-protocol.ts';
import { describeIssues } from './worker-protocol.ts';

/** How often the bytes written are reported between the builder's steps. */
export const BUILD_PROGRESS_INTERVAL_MS = 250;

export class BuildWorker {
  private readonly post: (reply: BuildReply) => void;
  private readonly exit: () => void;
  private started = false;

  constructor(post: (reply: BuildReply) => void, exit: () => void) {
    this.post = post;
    this.exit = exit;
  }

  /** Handles one raw message from the host. */
  receive(raw: unknown): void {
    const parsed = BuildRequestSchema.safeParse(raw);
    if (!parsed.success) {
      this.post({ type: 'failed', message: `The build worker received a malformed request: ${describeIssues(parsed.error)}`, code: 'internal' });
      return;
    }
    const request = parsed.data;
    switch (request.type) {
      case 'start':
        if (this.started) {
          this.post({ type: 'failed', message: 'The build worker builds one variant; it was asked to start a second.', code: 'internal' });
          return;
        }
        this.started = true;
        void this.run(request);
        return;
      case 'shutdown':
        this.exit();
        return;
    }
  }

  /** Resolves once the final message ('built' or 'failed') is posted. */
  async run(request: StartBuildRequest): Promise<void> {
    const meter = new BuildProgressMeter(request.outDir, request.expectedWeightBytes);
    let lastBytes = -1;
    const report = (): void => {
      const reading = meter.read();
      lastBytes = reading.bytesWritten;
      this.post({ type: 'progress', ...reading });
    };
    const timer = setInterval(() => {
      if (meter.read().bytesWritten !== lastBytes) report();
    }, BUILD_PROGRESS_INTERVAL_MS);
    try {
      const options: BuildOptions = {
        precision: request.precision,
        attention: request.attention,
        int8Kernel: request.int8Kernel ?? undefined,
        asDownloaded: request.asDownloaded,
        onProgress: (done, total, label) => {
          meter.setStep(done, total, label);
          report();
        },
      };
      const manifest: ModelManifest = request.adapterDir === null
        ? await buildModel(request.sourceDir, request.outDir, options)
        : await buildAdaptedModel(request.sourceDir, request.adapterDir, request.outDir, options);
      this.post({ type: 'built', weightBytes: manifest.weightBytes });
    } catch (error) {
      this.post({ type: 'failed', message: error instanceof Error ? error.message : String(error), code: error instanceof ApiError ? error.code : null });
    } finally {
      clearInterval(timer);
    }
  }
}
