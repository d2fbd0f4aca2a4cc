// The two IPC channels between the preload and the main process: one request/response channel
// for every API method, and one push channel for the event stream. Nothing else is exposed.
export const CALL_CHANNEL = 'hearth:call';
export const EVENT_CHANNEL = 'hearth:event';
