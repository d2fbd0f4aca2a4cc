// What shape a reply must take, as OpenAI's `response_format` says it (kept in OpenAI's own
// snake_case, so the /v1 server passes a request's field through unchanged): free text, any JSON
// object, or JSON valid against a JSON Schema. The JSON forms are enforced while decoding (the
// tokens that would break the grammar are masked), so such a reply always parses, unless it is
// cut short by max_tokens or the context.
import { z } from 'zod';

/** OpenAI's rule for a schema's name. */
const SchemaNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'json_schema.name is 1 to 64 letters, digits, underscores or dashes (e.g. "person")');

export const JsonSchemaFormatSchema = z.strictObject({
  name: SchemaNameSchema,
  description: z.string().max(10_000).optional(),
  /** A JSON Schema object; without one, any JSON object is accepted. */
  schema: z.record(z.string(), z.unknown()).optional(),
  /** OpenAI's switch for exact schema adherence; decoding here always adheres, so it changes nothing. */
  strict: z.boolean().nullable().optional(),
});
export type JsonSchemaFormat = z.infer<typeof JsonSchemaFormatSchema>;

export const ResponseFormatSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('text') }),
  z.strictObject({ type: z.literal('json_object') }),
  z.strictObject({ type: z.literal('json_schema'), json_schema: JsonSchemaFormatSchema }),
]);
export type ResponseFormat = z.infer<typeof ResponseFormatSchema>;

/** Whether replies in this format are constrained while decoding ('text' is not). */
export function isConstrainedFormat(format: ResponseFormat | null | undefined): format is Exclude<ResponseFormat, { type: 'text' }> {
  return format !== null && format !== undefined && format.type !== 'text';
}
