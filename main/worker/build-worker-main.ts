// Entry of the build worker process: one variant build, in its own process so that quantizing
// (long synchronous work) never freezes the window or the web shell, and so that cancelling a
// build is ending its process. Started like the other workers (a forked Node child, or an
// Electron utilityProcess; see parent-channel.ts), which also ends it when the app is gone.
import { BuildWorker } from './build-worker.ts';
import type { BuildReply } from './build-protocol.ts';
import { parentChannel } from './parent-channel.ts';

const channel = parentChannel<BuildReply>();
const worker = new BuildWorker(
  (reply) => channel.post(reply),
  () => process.exit(0),
);
channel.listen((message) => worker.receive(message));
channel.post({ type: 'ready', pid: process.pid });
