// The error for a model folder whose config.json or generation_config.json cannot be used:
// unreadable JSON, an unknown model_type, missing or wrong fields, or a feature Hearth does not
// implement. Its message names the file and says what to do.

export class ConfigError extends Error {
  /** The file the problem is in, when known (toSpec does not know it; openModelSource adds it). */
  readonly file: string | null;

  constructor(message: string, options?: { file?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ConfigError';
    this.file = options?.file ?? null;
  }
}

/** For a config.json feature this engine does not implement; says so rather than running it wrongly. */
export function unsupported(what: string): ConfigError {
  return new ConfigError(`${what} is not supported by Hearth. Pick another model, or a variant of it without this feature.`);
}
