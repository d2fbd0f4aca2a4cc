// Everything that goes wrong talking to the Hub or downloading from it, as one error type whose
// `kind` says what the caller (the CLI, the download service, the Discover page) can do about it,
// and whose message already names the problem and what to do.

export type HubErrorKind =
  /** The repository (or the revision, or the file) does not exist, or is private and no token was given. */
  | 'not-found'
  /** A gated or private repository: a token, and for a gated one the licence accepted on its page. */
  | 'needs-token'
  /** The Hub could not be reached, or the connection kept dropping after the retries. */
  | 'network'
  /** The Hub answered with a server error after the retries. */
  | 'server'
  /** The Hub answered something that is not what its API documents. */
  | 'bad-response'
  /** A downloaded file's bytes did not match its checksum twice. */
  | 'integrity'
  /** Not enough free disk space for what is left to download. */
  | 'disk-space'
  /** The repository has nothing Hearth can use, or the files asked for are not in it. */
  | 'nothing-usable'
  /** The repository offers several GGUF files and none was picked: the message lists them. */
  | 'choose-file'
  /** The download was paused or cancelled (its AbortSignal fired). */
  | 'aborted';

export class HubError extends Error {
  override name = 'HubError';
  readonly kind: HubErrorKind;
  /** The HTTP status behind it, where there was one. */
  readonly status: number | null;

  constructor(kind: HubErrorKind, message: string, status: number | null = null) {
    super(message);
    this.kind = kind;
    this.status = status;
  }
}
