// A request body that fails its schema, as the 400 OpenAI answers: the first problem, with
// `param` naming the parameter (messages[0].role for a nested one) and a message saying what was
// expected, e.g. "Invalid type for 'temperature': expected a number, but got string." or
// "Unknown parameter: 'foo'.".
import type { z } from 'zod';
import { invalidParameter, type OpenAiError } from './openai-error.ts';
import { NOT_YET_SUPPORTED } from './request-schemas.ts';

/** The body parsed by `schema`, or the OpenAiError for its first problem. */
export function parseRequestBody<Schema extends z.ZodType>(schema: Schema, body: unknown): z.infer<Schema> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw invalidParameter('(body)', 'The request body must be a JSON object.', 'invalid_type');
  }
  for (const name of Object.keys(body)) {
    const feature = NOT_YET_SUPPORTED[name];
    if (feature !== undefined && (body as Record<string, unknown>)[name] != null) {
      throw invalidParameter(name, `Hearth's local server does not support ${feature} yet; leave '${name}' out.`, 'unsupported_parameter');
    }
  }
  const parsed = schema.safeParse(body, { reportInput: true });
  if (parsed.success) return parsed.data;
  throw issueError(parsed.error.issues[0]);
}

function issueError(issue: z.core.$ZodIssue): OpenAiError {
  const param = paramName(issue.path);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const name = paramName([...issue.path, issue.keys[0]]);
      return invalidParameter(name, `Unknown parameter: '${name}'.`, 'unknown_parameter');
    }
    case 'invalid_type':
      if (issue.input === undefined) return invalidParameter(param, `Missing required parameter: '${param}'.`, 'missing_required_parameter');
      return invalidParameter(param, `Invalid type for '${param}': expected ${issue.expected}, but got ${describe(issue.input)}.`, 'invalid_type');
    case 'too_big':
      return invalidParameter(param, `Invalid value for '${param}': ${issue.message.replace(/^Too big: expected /, 'expected ')}.`, 'invalid_value');
    case 'too_small':
      return invalidParameter(param, `Invalid value for '${param}': ${issue.message.replace(/^Too small: expected /, 'expected ')}.`, 'invalid_value');
    default:
      return invalidParameter(param, `Invalid value for '${param}': ${issue.message}.`, 'invalid_value');
  }
}

/** messages[0].content as OpenAI writes nested parameter names. */
function paramName(path: readonly PropertyKey[]): string {
  let name = '';
  for (const key of path) name += typeof key === 'number' ? `[${key}]` : `${name ? '.' : ''}${String(key)}`;
  return name || '(body)';
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`;
}
