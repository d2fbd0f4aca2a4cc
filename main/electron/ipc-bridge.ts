// The IPC side of the API: one invoke channel for every method and one push channel for events.
// A call is answered only when it comes from the main frame of Hearth's window showing an
// app://hearth/ page; anything else (a subframe, a navigated-away page, another window) is refused.
import { dialog, ipcMain } from 'electron';
import type { BrowserWindow, IpcMainInvokeEvent } from 'electron';
import type { ApiHandlers } from '../common/contracts/api.ts';
import type { ApiEvent } from '../common/contracts/events.ts';
import { answerApiCall, describeIssues, type ApiEnvelope } from '../common/contracts/api-call.ts';
import { PickPathRequestSchema, type PickPathResult } from '../common/contracts/path-picker.ts';
import { APP_HOST, APP_SCHEME, isAppUrl } from './app-origin.ts';
import { CALL_CHANNEL, EVENT_CHANNEL, PICK_PATH_CHANNEL } from './ipc-channels.ts';

export class ForbiddenIpcSenderError extends Error {
  override name = 'ForbiddenIpcSenderError';
}

function isTrustedSender(event: IpcMainInvokeEvent, window: BrowserWindow): boolean {
  if (window.isDestroyed()) return false;
  const frame = event.senderFrame;
  return event.sender === window.webContents && frame !== null && frame === window.webContents.mainFrame && isAppUrl(frame.url);
}

/** Answers 'hearth:call' from `window`; returns a function that removes the handler. */
export function serveApiOverIpc(window: BrowserWindow, handlers: ApiHandlers): () => void {
  ipcMain.handle(CALL_CHANNEL, async (event, method: unknown, input: unknown) => {
    if (!isTrustedSender(event, window)) {
      throw new ForbiddenIpcSenderError(`${CALL_CHANNEL} refused: the sender is not the main frame of Hearth's window on ${APP_SCHEME}://${APP_HOST}/.`);
    }
    return answerApiCall(handlers, method, input, (message) => console.error(`hearth: ${message}`));
  });
  return () => ipcMain.removeHandler(CALL_CHANNEL);
}

/**
 * Answers 'hearth:pick-path' from `window` with the system's open dialog, modal to the window:
 * the request is checked first, and the answer is an envelope like an API call's.
 */
export function servePathPickerOverIpc(window: BrowserWindow): () => void {
  ipcMain.handle(PICK_PATH_CHANNEL, async (event, request: unknown): Promise<ApiEnvelope> => {
    if (!isTrustedSender(event, window)) {
      throw new ForbiddenIpcSenderError(`${PICK_PATH_CHANNEL} refused: the sender is not the main frame of Hearth's window on ${APP_SCHEME}://${APP_HOST}/.`);
    }
    const parsed = PickPathRequestSchema.safeParse(request);
    if (!parsed.success) return { ok: false, error: { code: 'invalid-input', message: `invalid request for the file picker: ${describeIssues(parsed.error)}` } };
    const { kind, title, filters } = parsed.data;
    const chosen = await dialog.showOpenDialog(window, { title, properties: [kind === 'folder' ? 'openDirectory' : 'openFile'], filters });
    const value: PickPathResult = { path: chosen.canceled ? null : (chosen.filePaths[0] ?? null) };
    return { ok: true, value };
  });
  return () => ipcMain.removeHandler(PICK_PATH_CHANNEL);
}

/** Pushes one service event to the window's page ('hearth:event'); dropped once the window is gone. */
export function forwardEvent(window: BrowserWindow, event: ApiEvent): void {
  if (window.isDestroyed() || window.webContents.isDestroyed()) return;
  window.webContents.send(EVENT_CHANNEL, event);
}
