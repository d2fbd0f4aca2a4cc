// Entry of the inference worker process (a forked Node child in the web shell and the CLI, an
// Electron utilityProcess in the app; see parent-channel.ts). It owns the onnxruntime sessions;
// see inference-worker.ts.
import { InferenceWorker } from './inference-worker.ts';
import { parentChannel } from './parent-channel.ts';
import type { WorkerReply } from './worker-protocol.ts';

const channel = parentChannel<WorkerReply>();
const worker = new InferenceWorker(
  (reply) => channel.post(reply),
  () => process.exit(0),
);
channel.listen((message) => worker.receive(message));
channel.post({ type: 'ready', pid: process.pid });
