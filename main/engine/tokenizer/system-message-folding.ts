// Chat templates that refuse a system message (Gemma 1 and 2 raise "System role not supported")
// get it folded into the first user turn instead, the way Gemma 3's own template does it: the
// system text, a blank line, then the user's text. A client that sends a system message (every
// OpenAI client does) then gets an answer instead of an error, and a template that accepts
// system messages is never touched.
import { ChatTemplateError, type ChatMessage, type ChatTemplateOptions } from './chat-template.ts';
import type { TextTokenizer } from './text-tokenizer.ts';

/** The prompt's token ids as TextTokenizer.encodeChat gives them, with system messages folded in where the template refuses them. */
export function encodeChatFoldingSystem(tokenizer: TextTokenizer, messages: readonly ChatMessage[], options: ChatTemplateOptions): number[] {
  try {
    return tokenizer.encodeChat(messages, options);
  } catch (error) {
    const hasSystem = options.systemPrompt !== undefined || messages.some((m) => m.role === 'system');
    if (!(error instanceof ChatTemplateError) || !hasSystem) throw error;
    const folded = foldSystemIntoFirstUser(messages, options.systemPrompt);
    try {
      return tokenizer.encodeChat(folded, { ...options, systemPrompt: undefined });
    } catch {
      throw error; // folding did not help: the template's own complaint says what is wrong
    }
  }
}

/**
 * The conversation without system messages: their text (the system prompt's first), each
 * followed by a blank line, starts the first user message. With no user message, the system
 * text becomes one.
 */
export function foldSystemIntoFirstUser(messages: readonly ChatMessage[], systemPrompt?: string): ChatMessage[] {
  const systemTexts = [...(systemPrompt !== undefined && messages[0]?.role !== 'system' ? [systemPrompt] : []), ...messages.filter((m) => m.role === 'system').map((m) => m.content)];
  const rest = messages.filter((m) => m.role !== 'system').map((m) => ({ ...m }));
  const prefix = systemTexts.map((text) => `${text}\n\n`).join('');
  const firstUser = rest.find((m) => m.role === 'user');
  if (firstUser) firstUser.content = prefix + firstUser.content;
  else rest.unshift({ role: 'user', content: systemTexts.join('\n\n') });
  return rest;
}
