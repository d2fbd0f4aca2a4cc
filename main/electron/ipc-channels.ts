// The IPC channels between the preload and the main process: one request/response channel for
// every API method, one push channel for the event stream, and one for the native file and
// folder picker (a window-side thing the web shell's API cannot offer). Nothing else is exposed.
export const CALL_CHANNEL = 'hearth:call';
export const EVENT_CHANNEL = 'hearth:event';
export const PICK_PATH_CHANNEL = 'hearth:pick-path';
