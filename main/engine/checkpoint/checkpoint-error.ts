// The one error type for unreadable or inconsistent checkpoints. Its message always names the
// file (or folder) and the problem, and says what the user can do about it, because it is shown
// as-is when a model fails to load.

export class CheckpointError extends Error {
  /** The file or folder the problem is in. */
  readonly path: string;

  constructor(path: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CheckpointError';
    this.path = path;
  }
}
