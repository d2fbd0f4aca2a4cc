// Dataset rows as token ids with labels, as supervised fine-tuning scores them: chats are
// rendered through the model's own chat template and only assistant turns are scored (labels
// −100 elsewhere); Alpaca rows become a user turn and an assistant turn; plain text is scored
// throughout. Each assistant turn's text is what the template adds between the prompt ending
// in the generation header and the conversation including that turn, so it carries the
// template's end-of-turn text (ChatML: `<|im_end|>\n`). Segments are tokenized one by one, so
// the boundary between prompt and answer is a token boundary.
import type { ChatMessage } from '../engine/tokenizer/chat-template.ts';
import type { TextTokenizer } from '../engine/tokenizer/text-tokenizer.ts';
import { IGNORE_INDEX } from './causal-lm-loss.ts';
import { DatasetError, type DatasetLine } from './sft-dataset.ts';

export interface SftExample {
  /** Line in the dataset file. */
  line: number;
  ids: number[];
  /** Same length as ids; the token itself where scored, −100 elsewhere. */
  labels: number[];
  /** Whether the example was cut to the maximum length. */
  truncated: boolean;
}

export interface TokenizeOptions {
  maxLength: number;
  /** Score only the last assistant turn (evaluation of answers); default: every assistant turn. */
  lastTurnOnly?: boolean;
}

interface Segment {
  text: string;
  scored: boolean;
}

export function tokenizeSftRow(tokenizer: TextTokenizer, { line, row }: DatasetLine, options: TokenizeOptions): SftExample {
  let ids: number[] = [];
  let labels: number[] = [];
  if (row.kind === 'text') {
    ids = tokenizer.encode(row.text);
    if (tokenizer.eosTokenId !== null && ids[ids.length - 1] !== tokenizer.eosTokenId) ids.push(tokenizer.eosTokenId);
    labels = [...ids];
  } else {
    const segments = row.kind === 'chat' ? chatSegments(tokenizer, row.messages, line, options.lastTurnOnly ?? false) : alpacaSegments(tokenizer, row);
    for (const segment of segments) {
      const piece = tokenizer.encode(segment.text, { addSpecialTokens: false });
      ids.push(...piece);
      labels.push(...(segment.scored ? piece : piece.map(() => IGNORE_INDEX)));
    }
  }
  const truncated = ids.length > options.maxLength;
  if (truncated) {
    ids = ids.slice(0, options.maxLength);
    labels = labels.slice(0, options.maxLength);
  }
  return { line, ids, labels, truncated };
}

function chatSegments(tokenizer: TextTokenizer, messages: readonly ChatMessage[], line: number, lastTurnOnly: boolean): Segment[] {
  const segments: Segment[] = [];
  let done = '';
  const lastAssistant = messages.map((m) => m.role).lastIndexOf('assistant');
  messages.forEach((message, i) => {
    if (message.role !== 'assistant' || (lastTurnOnly && i !== lastAssistant)) return;
    const prompt = tokenizer.applyChatTemplate(messages.slice(0, i), { addGenerationPrompt: true });
    const through = tokenizer.applyChatTemplate(messages.slice(0, i + 1), { addGenerationPrompt: false });
    if (!prompt.startsWith(done) || !through.startsWith(prompt)) {
      throw new DatasetError(`line ${line}: the model's chat template does not render this conversation turn by turn (a later turn rewrites an earlier one), so assistant turns cannot be isolated for training.`);
    }
    segments.push({ text: prompt.slice(done.length), scored: false }, { text: through.slice(prompt.length), scored: true });
    done = through;
  });
  const whole = tokenizer.applyChatTemplate(messages, { addGenerationPrompt: false });
  if (whole.length > done.length) segments.push({ text: whole.slice(done.length), scored: false });
  return segments.filter((s) => s.text !== '');
}

/** Alpaca rows: through the chat template when the model has one, else the classic Alpaca prompt. */
function alpacaSegments(tokenizer: TextTokenizer, row: { instruction: string; input: string; output: string }): Segment[] {
  if (tokenizer.hasChatTemplate) {
    const user = row.input ? `${row.instruction}\n\n${row.input}` : row.instruction;
    const messages = [
      { role: 'user', content: user },
      { role: 'assistant', content: row.output },
    ];
    return chatSegments(tokenizer, messages, 0, false);
  }
  const prompt = row.input
    ? `### Instruction:\n${row.instruction}\n\n### Input:\n${row.input}\n\n### Response:\n`
    : `### Instruction:\n${row.instruction}\n\n### Response:\n`;
  return [
    { text: (tokenizer.bosToken ?? '') + prompt, scored: false },
    { text: row.output + (tokenizer.eosToken ?? ''), scored: true },
  ];
}

export interface TokenizedDataset {
  examples: SftExample[];
  /** Examples cut to the maximum length. */
  truncated: number;
  /** Examples with no scored token left (after truncation): kept out of training, and counted. */
  unscored: number[];
}

export function tokenizeDataset(tokenizer: TextTokenizer, rows: readonly DatasetLine[], options: TokenizeOptions): TokenizedDataset {
  const examples: SftExample[] = [];
  const unscored: number[] = [];
  let truncated = 0;
  for (const row of rows) {
    const example = tokenizeSftRow(tokenizer, row, options);
    if (example.truncated) truncated++;
    // A label at position 0 is never predicted (nothing comes before it).
    if (!example.labels.slice(1).some((label) => label !== IGNORE_INDEX)) unscored.push(example.line);
    else examples.push(example);
  }
  return { examples, truncated, unscored };
}
