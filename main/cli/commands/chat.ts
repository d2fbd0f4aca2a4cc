// hearth chat DIR [--system TEXT] [--context N] [--overflow POLICY] [sampling options]
// An interactive chat through the model's chat template, reusing the KV cache between turns.
// Replies stream to stdout; after each, a dim status line on stderr gives speed, TTFT, the
// prompt tokens reused from the cache, and what the overflow policy dropped. With stdin not a
// terminal it reads one message per line and answers each, so it can be driven by a pipe.
import { basename, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { builtPrecisionLabel } from '../../common/model-manifest.ts';
import { ChatSession, type ChatTurnResult } from '../../engine/runtime/chat-session.ts';
import { contextLengthFor } from '../../engine/runtime/cached-sequence.ts';
import { ContextOverflowError, OVERFLOW_POLICIES, type OverflowPolicy } from '../../engine/runtime/context-overflow.ts';
import { DEFAULT_MAX_NEW_TOKENS, collectGeneration } from '../../engine/runtime/generate.ts';
import { ContextFullError } from '../../engine/runtime/kv-cache.ts';
import { UsageError, type Command } from '../command.ts';
import { loadTokenizerIfPresent, openModelArgument } from '../model-argument.ts';
import { parseIntegerOption, parsePrecisionOption } from '../option-values.ts';
import { SAMPLING_OPTIONS, SAMPLING_USAGE, samplingFromValues } from '../sampling-options.ts';
import { dim } from '../terminal-style.ts';

const DEFAULT_TEMPERATURE = 0.7;

export const chatCommand: Command = {
  name: 'chat',
  summary: 'chat with a model (chat template, KV cache reuse between turns)',
  usage:
    `hearth chat DIR [--system TEXT] [--context N] [--overflow ${OVERFLOW_POLICIES.join('|')}] ${SAMPLING_USAGE} [--threads N] [--dtype fp32|fp16|int8|int4]\n\n` +
    `Samples with --temperature ${DEFAULT_TEMPERATURE} by default (--temperature 0 is greedy). --context defaults to min(model context, 4096);\n` +
    `--max-new-tokens to min(${DEFAULT_MAX_NEW_TOKENS}, context / 4); --overflow (what to drop when the conversation outgrows the context)\n` +
    'to truncate-middle. Type /reset to start over, /exit or Ctrl+D to quit; Ctrl+C stops a reply and keeps what it said.\n' +
    'With stdin not a terminal, each line is one message. Replies go to stdout, status lines to stderr.',
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        system: { type: 'string' },
        context: { type: 'string' },
        overflow: { type: 'string', default: 'truncate-middle' },
        threads: { type: 'string' },
        dtype: { type: 'string' },
        ...SAMPLING_OPTIONS,
      },
    });
    if (positionals.length !== 1) throw new UsageError('give exactly one model folder');
    if (!OVERFLOW_POLICIES.includes(values.overflow as OverflowPolicy)) {
      throw new UsageError(`--overflow must be one of ${OVERFLOW_POLICIES.join(', ')}, not '${values.overflow}'`);
    }
    const overflow = values.overflow as OverflowPolicy;
    const requestedContext = values.context === undefined ? undefined : parseIntegerOption('--context', values.context, { min: 2 });
    // Parsed once here so that a bad value fails before the model loads; the reply length is settled below.
    samplingFromValues(values, { maxNewTokens: 1, temperature: DEFAULT_TEMPERATURE });
    const precision = parsePrecisionOption(values.dtype);
    const threads = values.threads === undefined ? undefined : parseIntegerOption('--threads', values.threads, { min: 1 });

    const model = await openModelArgument(positionals[0], { precision, threads });
    try {
      const tokenizer = await loadTokenizerIfPresent(model);
      if (tokenizer === null) throw new Error(`${model.dir} has no tokenizer.json, so it cannot chat; use hearth run --ids instead.`);
      let contextLength: number;
      try {
        contextLength = contextLengthFor(model, requestedContext);
      } catch (error) {
        throw new UsageError(`--context: ${(error as Error).message}`);
      }
      const generation = samplingFromValues(values, { maxNewTokens: Math.max(1, Math.min(DEFAULT_MAX_NEW_TOKENS, Math.floor(contextLength / 4))), temperature: DEFAULT_TEMPERATURE });
      if (generation.maxNewTokens >= contextLength) {
        throw new UsageError(`--max-new-tokens ${generation.maxNewTokens} leaves no room for the prompt in a context of ${contextLength} tokens`);
      }
      const openSession = () => new ChatSession(model, tokenizer, { systemPrompt: values.system, contextLength, overflow, generation });
      let session = openSession();

      const interactive = process.stdin.isTTY === true;
      const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: interactive, prompt: 'you> ' });
      let reply: AbortController | null = null;
      // Ctrl+C stops the reply being written; at the prompt it quits, as Ctrl+D does.
      const onInterrupt = () => (reply ? reply.abort() : rl.close());
      rl.on('SIGINT', onInterrupt);
      process.on('SIGINT', onInterrupt);
      const name = basename(resolve(positionals[0]));
      console.error(
        dim(
          `chatting with ${name} (${builtPrecisionLabel(model.manifest)}, context ${contextLength} tokens, replies up to ${generation.maxNewTokens} tokens). ` +
            '/reset starts over, /exit or Ctrl+D quits, Ctrl+C stops a reply.',
          process.stderr,
        ),
      );
      try {
        if (interactive) rl.prompt();
        for await (const line of rl) {
          const text = line.trim();
          if (text === '/exit' || text === '/quit') break;
          if (text === '/reset') {
            session.dispose();
            session = openSession();
            console.error(dim('(conversation cleared)', process.stderr));
          } else if (text.startsWith('/')) {
            console.error(`unknown command ${text}: type /reset to start over or /exit to quit`);
          } else if (text !== '') {
            reply = new AbortController();
            try {
              const result = await collectGeneration(session.send(text, {}, reply.signal), (event) => process.stdout.write(event.text));
              process.stdout.write('\n');
              console.error(dim(turnStatus(result, contextLength), process.stderr));
            } catch (error) {
              // The conversation no longer fits: say so and keep the chat open for /reset.
              if (!(error instanceof ContextOverflowError || error instanceof ContextFullError)) throw error;
              console.error(`${error.message}\nType /reset to start a new conversation.`);
            } finally {
              reply = null;
            }
          }
          if (interactive) rl.prompt();
        }
      } finally {
        rl.off('SIGINT', onInterrupt);
        process.off('SIGINT', onInterrupt);
        rl.close();
        session.dispose();
      }
      if (interactive) process.stdout.write('\n');
      return 0;
    } finally {
      await model.release();
    }
  },
};

/** e.g. "42 tokens · 85.3 tok/s · TTFT 14 ms · reused 23 of 40 prompt tokens · dropped 1 earlier turn (31 tokens) to fit the context". */
export function turnStatus(result: ChatTurnResult, contextLength: number): string {
  const parts = [
    `${result.ids.length} tokens`,
    `${result.tokensPerSecond.toFixed(1)} tok/s`,
    `TTFT ${Number.isNaN(result.ttftMs) ? '-' : result.ttftMs.toFixed(0)} ms`,
    `reused ${result.reusedTokens} of ${result.promptTokens} prompt tokens`,
  ];
  const { turns, tokens } = result.dropped;
  if (turns > 0) parts.push(`dropped ${turns} earlier turn${turns === 1 ? '' : 's'} (${tokens} tokens) to fit the ${contextLength}-token context`);
  else if (tokens > 0) parts.push(`dropped the oldest ${tokens} tokens to fit the ${contextLength}-token context`);
  if (result.stopReason === 'aborted') parts.push('stopped by Ctrl+C');
  if (result.stopReason === 'context-full') parts.push('the context is full: /reset to start over');
  if (result.stopReason === 'max-tokens') parts.push('reply cut at --max-new-tokens');
  return parts.join(' · ');
}
