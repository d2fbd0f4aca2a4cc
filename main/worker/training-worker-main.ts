// Entry of the training worker process: one fine-tune job, in its own process so that training
// never slows the window or the inference worker's replies beyond the CPU they share, and so
// that cancelling or killing a job cannot take the app down with it. Started like the inference
// worker (a forked Node child, or an Electron utilityProcess; see parent-channel.ts).
import { parentChannel } from './parent-channel.ts';
import { TrainingWorker } from './training-worker.ts';
import type { TrainingReply } from './training-protocol.ts';

const channel = parentChannel<TrainingReply>();
const worker = new TrainingWorker(
  (reply) => channel.post(reply),
  () => process.exit(0),
);
channel.listen((message) => worker.receive(message));
channel.post({ type: 'ready', pid: process.pid });
