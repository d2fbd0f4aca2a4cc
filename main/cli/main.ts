// `hearth`: the command line over the engine. Errors go to stderr with a non-zero status;
// machine-read lines (e.g. --json) go to stdout exactly as documented in the README.
import type { Command } from './command.ts';
import { UsageError } from './command.ts';
import { buildCommand } from './commands/build.ts';
import { chatCommand } from './commands/chat.ts';
import { importCommand } from './commands/import.ts';
import { logitsCommand } from './commands/logits.ts';
import { planCommand } from './commands/plan.ts';
import { pplCommand } from './commands/ppl.ts';
import { runCommand } from './commands/run.ts';
import { benchCommand } from './commands/bench.ts';
import { benchTableCommand } from './commands/bench-table.ts';
import { serveCommand } from './commands/serve.ts';
import { finetuneCommand } from './commands/finetune.ts';
import { evalCommand } from './commands/eval.ts';
import { mergeCommand } from './commands/merge.ts';
import { pullCommand } from './commands/pull.ts';
import { searchCommand } from './commands/search.ts';

const commands: readonly Command[] = [buildCommand, logitsCommand, runCommand, chatCommand, pplCommand, planCommand, benchCommand, benchTableCommand, importCommand, searchCommand, pullCommand, serveCommand, finetuneCommand, evalCommand, mergeCommand];

function help(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return ['usage: hearth <command> [options]', '', ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`)].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(help());
    return name ? 0 : 2;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    console.error(`hearth: unknown command '${name}'\n\n${help()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(command.usage);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    if (error instanceof UsageError || isParseArgsError(error)) {
      // The usage's first paragraph is the synopsis; --help prints the rest.
      console.error(`hearth ${name}: ${error.message}\n\nusage: ${command.usage.split('\n\n')[0]}\n(hearth ${name} --help explains the options)`);
      return 2;
    }
    const message = error instanceof Error ? error.message : String(error);
    console.error(`hearth ${name}: ${message}`);
    if (process.env.HEARTH_DEBUG && error instanceof Error) console.error(error.stack);
    return 1;
  }
}

/** node:util parseArgs rejects unknown options, missing values and stray arguments with these codes. */
function isParseArgsError(error: unknown): error is Error {
  const code = (error as { code?: unknown } | null)?.code;
  return error instanceof Error && typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_');
}
