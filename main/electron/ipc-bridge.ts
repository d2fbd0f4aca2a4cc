// The IPC side of the API: one invoke channel for every method and one push channel for events.
// A call is answered only when it comes from the main frame of Hearth's window showing an
// app://hearth/ page; anything else (a subframe, a navigated-away page, another window) is refused.
import { ipcMain } from 'electron';
import type { BrowserWindow, IpcMainInvokeEvent } from 'electron';
import type { ApiHandlers } from '../common/contracts/api.ts';
import type { ApiEvent } from '../common/contracts/events.ts';
import { answerApiCall } from '../common/contracts/api-call.ts';
import { APP_HOST, APP_SCHEME, isAppUrl } from './app-origin.ts';
import { CALL_CHANNEL, EVENT_CHANNEL } from './ipc-channels.ts';

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

/** Pushes one service event to the window's page ('hearth:event'); dropped once the window is gone. */
export function forwardEvent(window: BrowserWindow, event: ApiEvent): void {
  if (window.isDestroyed() || window.webContents.isDestroyed()) return;
  window.webContents.send(EVENT_CHANNEL, event);
}
