// The one error the store throws for conditions the app must explain to the user (a corrupt,
// locked or too-new database file, a failed migration, a setting that no longer parses, a row
// that is not there). `kind` lets the caller pick the screen to show; the message says what
// happened and what to do.

export type StoreErrorKind = 'corrupt' | 'locked' | 'too-new' | 'migration-failed' | 'invalid-setting' | 'not-found';

export interface StoreErrorDetails {
  /** The database file concerned. */
  file: string;
  /** Where a corrupt file was moved to, when it was. */
  backupPath?: string | null;
  cause?: unknown;
}

export class StoreError extends Error {
  override name = 'StoreError';
  readonly kind: StoreErrorKind;
  readonly file: string;
  readonly backupPath: string | null;

  constructor(kind: StoreErrorKind, message: string, details: StoreErrorDetails) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.kind = kind;
    this.file = details.file;
    this.backupPath = details.backupPath ?? null;
  }
}
