// The shape of one `hearth` subcommand.
export interface Command {
  name: string;
  /** One line for `hearth --help`. */
  summary: string;
  usage: string;
  /** Runs with the arguments after the command name; returns the exit status. */
  run(args: string[]): Promise<number>;
}

/** A mistake in how the command was called: printed with the usage, exit status 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}
