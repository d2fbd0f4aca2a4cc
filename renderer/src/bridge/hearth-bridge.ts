// The one way the renderer reaches the main side. Deliberately untyped at this seam: whatever
// crosses it (over Electron IPC or HTTP) is checked against the zod contracts by ApiClient, so a
// transport never has to be trusted to keep the types.

/** What one call answers: the envelope `{ ok: true, value } | { ok: false, error: { code, message } }`. */
export type BridgeEnvelope = unknown;

export interface HearthBridge {
  /** Calls an API method (main/common/contracts/api.ts) and resolves to its result envelope. */
  call(method: string, input: unknown): Promise<BridgeEnvelope>;
  /** Listens to the event stream (ApiEvent, not yet validated); returns the unsubscribe function. */
  subscribe(listener: (event: unknown) => void): () => void;
  /**
   * Opens the system's file or folder dialog (a PickPathRequest) and resolves to an envelope
   * around a PickPathResult. Only the desktop app has one; the web shell's pages type paths.
   */
  pickPath?(request: unknown): Promise<BridgeEnvelope>;
}
