// A model's tool calls, read out of the text it wrote, in the two forms chat templates teach:
// - Hermes / Qwen (Qwen2.5, Qwen3, Hermes 2 Pro and 3): each call a JSON object
//   {"name": ..., "arguments": {...}} between <tool_call> and </tool_call>, after any text;
// - Llama 3.1 to 3.3 (JSON tool calling): the whole reply one JSON object
//   {"name": ..., "parameters": {...}} (or several joined by ';'), maybe after <|python_tag|>.
// A reply that is neither is plain text. The streamed form (ToolCallStream) lets text through as
// it comes and holds back what may become a call, so a client never sees a call's JSON as text.

/** A call as the API reports it: `arguments` is JSON text (OpenAI's function.arguments). */
export interface ParsedToolCall {
  name: string;
  arguments: string;
}

export interface ToolCallOutput {
  /** The text outside the calls; null when there is none (OpenAI's content of a calls-only reply). */
  content: string | null;
  calls: ParsedToolCall[];
}

const OPEN_TAG = '<tool_call>';
const CLOSE_TAG = '</tool_call>';
/** Llama 3.1's marker before a call (a special token; some detokenizers leave it out). */
const PYTHON_TAG = '<|python_tag|>';

/** The calls in a whole reply, and the text around them. */
export function parseToolCalls(text: string): ToolCallOutput {
  return parseTaggedCalls(text) ?? parseJsonCalls(text) ?? { content: text, calls: [] };
}

/** Hermes / Qwen: <tool_call>{...}</tool_call> blocks; the last may lack its closing tag (the reply ended there). */
function parseTaggedCalls(text: string): ToolCallOutput | null {
  const first = text.indexOf(OPEN_TAG);
  if (first < 0) return null;
  const calls: ParsedToolCall[] = [];
  let content = text.slice(0, first);
  let at = first;
  while (at >= 0) {
    const bodyStart = at + OPEN_TAG.length;
    const close = text.indexOf(CLOSE_TAG, bodyStart);
    const body = text.slice(bodyStart, close < 0 ? undefined : close);
    const call = callOf(parseJson(body.trim()));
    if (!call) return null; // not a call after all: the reply is text
    calls.push(call);
    if (close < 0) break;
    const next = text.indexOf(OPEN_TAG, close + CLOSE_TAG.length);
    content += text.slice(close + CLOSE_TAG.length, next < 0 ? undefined : next);
    at = next;
  }
  return { content: content.trim() === '' ? null : content.trimEnd(), calls };
}

/** Llama 3.x: the reply is nothing but one or more call objects (joined by ';'). */
function parseJsonCalls(text: string): ToolCallOutput | null {
  let rest = text.trim();
  if (rest.startsWith(PYTHON_TAG)) rest = rest.slice(PYTHON_TAG.length).trim();
  if (!rest.startsWith('{')) return null;
  const calls: ParsedToolCall[] = [];
  while (rest !== '') {
    const end = jsonObjectEnd(rest);
    if (end < 0) return null;
    const call = callOf(parseJson(rest.slice(0, end)));
    if (!call) return null;
    calls.push(call);
    rest = rest.slice(end).trim();
    if (rest.startsWith(';')) rest = rest.slice(1).trim();
  }
  return { content: null, calls };
}

/** {"name": string, "arguments" | "parameters": object} as a call; anything else is not one. */
function callOf(value: unknown): ParsedToolCall | null {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  const { name, arguments: args, parameters } = value as Record<string, unknown>;
  if (typeof name !== 'string' || name === '') return null;
  const given = args ?? parameters ?? {};
  // Some models write the arguments as JSON text already.
  if (typeof given === 'string') return parseJson(given) === undefined ? null : { name, arguments: given };
  if (given === null || typeof given !== 'object' || Array.isArray(given)) return null;
  return { name, arguments: JSON.stringify(given) };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Where the JSON object at the start of `text` ends (one past its closing brace), or -1 if it does not. */
function jsonObjectEnd(text: string): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

/**
 * A streamed reply with tool calls possible: push() each piece of text and send what it returns
 * as content now; finish() gives the calls, and any held text that turned out not to be one.
 * Held back: a reply that starts like a JSON call (Llama), and everything from <tool_call> on
 * (with a tail that may be the start of that tag).
 */
export class ToolCallStream {
  private text = '';
  private sent = 0;
  /** Set once the reply is known to be holding a call (or text that starts like one) to the end. */
  private holding = false;

  push(piece: string): string {
    this.text += piece;
    if (this.holding) return '';
    const lead = this.text.trimStart();
    if (this.sent === 0 && (lead === '' || isPrefixOf(lead, PYTHON_TAG) || isPrefixOf(lead, OPEN_TAG))) return '';
    if (this.sent === 0 && (lead.startsWith('{') || lead.startsWith(PYTHON_TAG))) {
      this.holding = true;
      return '';
    }
    const tag = this.text.indexOf(OPEN_TAG, this.sent);
    if (tag >= 0) {
      this.holding = true;
      return this.take(tag);
    }
    return this.take(this.text.length - partialTagLength(this.text));
  }

  /** The reply is whole: its calls, and the text not sent yet when there are none. */
  finish(): { content: string; calls: ParsedToolCall[] } {
    const { calls } = parseToolCalls(this.text);
    if (calls.length > 0) return { content: '', calls };
    return { content: this.take(this.text.length), calls };
  }

  private take(end: number): string {
    if (end <= this.sent) return '';
    const out = this.text.slice(this.sent, end);
    this.sent = end;
    return out;
  }
}

function isPrefixOf(text: string, tag: string): boolean {
  return text.length < tag.length && tag.startsWith(text);
}

/** How many characters at the end of `text` could be the start of <tool_call>. */
function partialTagLength(text: string): number {
  for (let n = Math.min(OPEN_TAG.length - 1, text.length); n > 0; n--) {
    if (OPEN_TAG.startsWith(text.slice(text.length - n))) return n;
  }
  return 0;
}
