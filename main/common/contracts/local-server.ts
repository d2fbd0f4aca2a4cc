// The local server as the "Local server" page shows it: where the OpenAI-compatible API listens,
// the key clients send, and the browser origins allowed to call it.
import { z } from 'zod';

/** An origin as a browser sends it: scheme, host and optional port, nothing after. */
export const CorsOriginSchema = z
  .string()
  .max(200)
  .regex(/^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$/i, 'an origin is http:// or https://, a host name and an optional :port, with no path (e.g. http://localhost:3000)');

export const LocalServerInfoSchema = z.object({
  /** http://127.0.0.1:PORT/v1, or null when no server runs in this process (the desktop app without `hearth serve`). */
  apiBaseUrl: z.string().nullable(),
  apiKey: z.string(),
  corsOrigins: z.array(z.string()),
});
export type LocalServerInfo = z.infer<typeof LocalServerInfoSchema>;

export const SetCorsOriginsInputSchema = z.object({ origins: z.array(CorsOriginSchema).max(100) });
