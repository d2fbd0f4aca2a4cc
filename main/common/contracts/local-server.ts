// The local server as the "Local server" page shows it: where the OpenAI-compatible API listens,
// the key clients send, the browser origins allowed to call it, whether other machines on the
// local network may reach it (off by default: 127.0.0.1 only), and the web shell's address.
import { z } from 'zod';

/** An origin as a browser sends it: scheme, host and optional port, nothing after. */
export const CorsOriginSchema = z
  .string()
  .max(200)
  .regex(/^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$/i, 'an origin is http:// or https://, a host name and an optional :port, with no path (e.g. http://localhost:3000)');

/** The desktop app's API port: above the privileged ports. */
export const ApiPortSchema = z.number().int().min(1024, 'choose a port from 1024 to 65535').max(65535, 'choose a port from 1024 to 65535');

export const LocalServerInfoSchema = z.object({
  /** http://127.0.0.1:PORT/v1, or null when no server runs in this process (the desktop app without `hearth serve`). */
  apiBaseUrl: z.string().nullable(),
  apiKey: z.string(),
  /** The port the desktop app serves the API on, from its next start (the next free one when taken); `hearth serve` serves it on its own port. */
  apiPort: ApiPortSchema,
  corsOrigins: z.array(z.string()),
  /** The person turned on the local network: `hearth serve` then listens on every interface (from its next start). */
  localNetwork: z.boolean(),
  /** The names (host name, addresses) the running server answers to from the local network; empty while it serves 127.0.0.1 only. */
  networkHosts: z.array(z.string()),
  /** The web shell's address with this launch's token (http://127.0.0.1:PORT/?token=...), or null when no server runs in this process. */
  webShellUrl: z.string().nullable(),
});
export type LocalServerInfo = z.infer<typeof LocalServerInfoSchema>;

export const SetLocalNetworkInputSchema = z.object({ enabled: z.boolean() });

export const SetCorsOriginsInputSchema = z.object({ origins: z.array(CorsOriginSchema).max(100) });

export const SetApiPortInputSchema = z.object({ port: ApiPortSchema });
