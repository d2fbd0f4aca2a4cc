// How a worker process talks to the main side. The same entry file runs as a Node child
// (child_process.fork: messages through process.send / process.on('message')) in the web shell
// and the CLI, and as an Electron utilityProcess (messages through process.parentPort) in the
// app; the channel finds out which from what the process offers.

/** The part of Electron's utilityProcess port a worker uses (Electron is not imported here: plain Node must run this file). */
interface ParentPort {
  on(event: 'message', listener: (event: { data: unknown }) => void): void;
  postMessage(message: unknown): void;
}

export interface ParentChannel<Reply> {
  post(reply: Reply): void;
  listen(receive: (message: unknown) => void): void;
}

export function parentChannel<Reply>(): ParentChannel<Reply> {
  const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;
  if (parentPort) {
    return { post: (reply) => parentPort.postMessage(reply), listen: (receive) => parentPort.on('message', (event) => receive(event.data)) };
  }
  const send = process.send?.bind(process);
  if (send) {
    // Without its parent the worker has no purpose: exit rather than linger as an orphan holding the model.
    process.on('disconnect', () => process.exit(0));
    return {
      post: (reply) => {
        if (process.connected) send(reply, undefined, undefined, (error: Error | null) => void error);
      },
      listen: (receive) => process.on('message', receive),
    };
  }
  throw new Error('A Hearth worker must be started by Hearth (as a forked child process or an Electron utilityProcess), not run directly.');
}
