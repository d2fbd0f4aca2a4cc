// Entry of the build worker process: one variant build, in its own process so that quantizing
// (long synchronous work) never freezes the window or the web shell, and so that cancelling a
// build is ending its process. Started like the other workers (a forked Node child, or an
// Electron utilityProcess; see parent-channel.ts), which also ends it when the app is gone.
// A build is background work: the process runs below normal priority (set before any build, so
// that the quantizer's threads inherit it), so that the window, the web shell and a reply being
// written get the CPU first when they need it.
import { constants, setPriority } from 'node:os';
import { BuildWorker } from './build-worker.ts';
import type { BuildReply } from './build-protocol.ts';
import { parentChannel } from './parent-channel.ts';

try {
  setPriority(constants.priority.PRIORITY_BELOW_NORMAL);
} catch {
  // Not allowed here (a sandbox): the build runs at normal priority.
}

const channel = parentChannel<BuildReply>();
const worker = new BuildWorker(
  (reply) => channel.post(reply),
  () => process.exit(0),
);
channel.listen((message) => worker.receive(message));
channel.post({ type: 'ready', pid: process.pid });
