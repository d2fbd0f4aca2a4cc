// The desktop app's native file and folder picker, which the page reaches through the preload
// beside the API (the web shell has none: its pages type the path). One schema for the request,
// checked in the main process before a dialog opens, and one for the answer, checked in the page.
import { z } from 'zod';

export const PathFilterSchema = z.strictObject({
  name: z.string().min(1).max(100),
  /** Without the dot: "jsonl". */
  extensions: z.array(z.string().regex(/^[A-Za-z0-9]{1,16}$/, 'an extension is 1 to 16 letters or digits, without the dot')).min(1).max(20),
});

export const PickPathRequestSchema = z.strictObject({
  /** A model is a folder; a dataset is a file. */
  kind: z.enum(['folder', 'file']),
  /** The dialog's title: what the path is for. */
  title: z.string().min(1).max(200),
  filters: z.array(PathFilterSchema).max(10).optional(),
});
export type PickPathRequest = z.infer<typeof PickPathRequestSchema>;

/** The chosen path, or null when the user cancelled. */
export const PickPathResultSchema = z.object({ path: z.string().min(1).nullable() });
export type PickPathResult = z.infer<typeof PickPathResultSchema>;
