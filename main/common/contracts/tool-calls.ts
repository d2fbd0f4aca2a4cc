// Tool calls as OpenAI's chat API writes them (kept in its snake_case, so the /v1 server passes a
// request's fields through unchanged): the functions a request offers the model (`tools`), which
// of them it must or may call (`tool_choice`), and the calls an assistant message carries, whose
// arguments are a JSON text. The chat template sees the tools as HF's apply_chat_template passes
// them (the `tools` variable), and the calls of earlier turns with their arguments as objects.
import { z } from 'zod';

/** OpenAI's rule for a function's name. */
const FunctionNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'a function name is 1 to 64 letters, digits, underscores, dots or dashes (e.g. "get_weather")');

export const ToolDefinitionSchema = z.strictObject({
  type: z.literal('function'),
  function: z.strictObject({
    name: FunctionNameSchema,
    description: z.string().optional(),
    /** The arguments' JSON Schema; none: the function takes no arguments. */
    parameters: z.record(z.string(), z.unknown()).optional(),
    strict: z.boolean().nullable().optional(),
  }),
});
export type ToolDefinition = z.infer<typeof ToolDefinitionSchema>;

export const ToolChoiceSchema = z.union([
  z.enum(['none', 'auto', 'required']),
  z.strictObject({ type: z.literal('function'), function: z.strictObject({ name: FunctionNameSchema }) }),
]);
export type ToolChoice = z.infer<typeof ToolChoiceSchema>;

/** A call an assistant message made: `arguments` is JSON text, as the model wrote it. */
export const ToolCallSchema = z.strictObject({
  id: z.string().min(1).max(200),
  type: z.literal('function'),
  function: z.strictObject({ name: z.string().min(1), arguments: z.string() }),
});
export type ToolCall = z.infer<typeof ToolCallSchema>;
