// Renders a conversation through the Jinja chat template a model ships in its tokenizer folder,
// with the same variables Hugging Face's apply_chat_template passes, so that the prompt text
// (and therefore the token ids) match what the model saw in training.
import { Template } from '@huggingface/jinja';

export interface ChatMessage {
  role: string;
  content: string;
  /** An assistant turn's tool calls, OpenAI's shape: `arguments` is JSON text. */
  tool_calls?: readonly { id: string; type: 'function'; function: { name: string; arguments: string } }[];
  /** A tool's answer (role 'tool'): the id of the call it answers, and the function's name. */
  tool_call_id?: string;
  name?: string;
}

export interface ChatTemplateOptions {
  /** Ends the prompt with the header of an assistant turn, so the model answers next. */
  addGenerationPrompt: boolean;
  /** Prepended as a system turn when the conversation does not begin with one of its own. */
  systemPrompt?: string;
  /** Further template variables (e.g. Qwen3's `enable_thinking`, `tools`), passed as they are. */
  variables?: Record<string, unknown>;
}

/** The special tokens Hugging Face exposes to templates as `bos_token`, `eos_token`, ... */
export interface ChatTemplateSpecialTokens {
  bos_token: string | null;
  eos_token: string | null;
  pad_token: string | null;
  unk_token: string | null;
}

/** A template failed to parse, or called raise_exception (e.g. roles that do not alternate). */
export class ChatTemplateError extends Error {
  override name = 'ChatTemplateError';
}

export class ChatTemplate {
  readonly source: string;
  private readonly template: Template;
  private readonly specialTokens: ChatTemplateSpecialTokens;

  constructor(source: string, specialTokens: ChatTemplateSpecialTokens) {
    this.source = source;
    this.specialTokens = specialTokens;
    try {
      this.template = new Template(source);
    } catch (error) {
      throw new ChatTemplateError(`The chat template could not be parsed: ${(error as Error).message}`);
    }
  }

  render(messages: readonly ChatMessage[], options: ChatTemplateOptions): string {
    const conversation =
      options.systemPrompt !== undefined && messages[0]?.role !== 'system'
        ? [{ role: 'system', content: options.systemPrompt }, ...messages]
        : [...messages];
    const variables: Record<string, unknown> = {
      ...this.specialTokens,
      ...options.variables,
      messages: conversation.map(templateMessage),
      add_generation_prompt: options.addGenerationPrompt,
    };
    // raise_exception is a global of @huggingface/jinja (it cannot be redefined); its Error
    // carries the template author's message, which is kept here.
    try {
      return this.template.render(variables);
    } catch (error) {
      throw new ChatTemplateError(`The chat template did not render this conversation: ${(error as Error).message}`);
    }
  }
}

/**
 * A message as templates read it: only the fields it has (templates test `message.tool_calls is
 * defined`), and each tool call's arguments as an object, as HF's examples and vLLM give them
 * (Llama 3.1's template writes `arguments | tojson`, which would quote a JSON text a second time).
 * Arguments that are not JSON stay text.
 */
function templateMessage(message: ChatMessage): Record<string, unknown> {
  const out: Record<string, unknown> = { role: message.role, content: message.content };
  if (message.tool_calls !== undefined) {
    out.tool_calls = message.tool_calls.map((call) => ({
      id: call.id,
      type: call.type,
      function: { name: call.function.name, arguments: parsedArguments(call.function.arguments) },
    }));
  }
  if (message.tool_call_id !== undefined) out.tool_call_id = message.tool_call_id;
  if (message.name !== undefined) out.name = message.name;
  return out;
}

function parsedArguments(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
