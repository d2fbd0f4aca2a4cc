// A chat completion's prompt as token ids: what HF's
// apply_chat_template(messages, tools=tools, add_generation_prompt=True, tokenize=True) gives, with
// a system message folded into the first user turn where the template refuses one. The tools go
// to the template as its `tools` variable, as HF passes them; a template without tool support
// ignores them. usage.prompt_tokens of the /v1 server is this list's length.
import type { ChatMessage } from './chat-template.ts';
import { encodeChatFoldingSystem } from './system-message-folding.ts';
import type { TextTokenizer } from './text-tokenizer.ts';

export function chatPromptIds(tokenizer: TextTokenizer, messages: readonly ChatMessage[], tools?: readonly unknown[], addGenerationPrompt = true): number[] {
  return encodeChatFoldingSystem(tokenizer, messages, { addGenerationPrompt, ...(tools !== undefined ? { variables: { tools } } : {}) });
}
