// hearth search <text> [--limit N] [--sort downloads|likes|lastModified|trendingScore] [--data-dir DIR] [--json]
// Searches the Hugging Face Hub's text-generation models, most downloaded first, as
// huggingface_hub's list_models does; `hearth pull` downloads one of them.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { HubClient, type HubSort } from '../../hub/hub-client.ts';
import { defaultDataDir } from '../../services/default-data-dir.ts';
import { UsageError, type Command } from '../command.ts';
import { hubEndpointIn } from '../hub-endpoint-in.ts';
import { parseIntegerOption } from '../option-values.ts';

const SORTS: readonly HubSort[] = ['downloads', 'likes', 'lastModified', 'trendingScore'];

export const searchCommand: Command = {
  name: 'search',
  summary: 'search the Hugging Face Hub for text-generation models',
  usage:
    'hearth search <text> [--limit N] [--sort downloads|likes|lastModified|trendingScore] [--data-dir DIR] [--json]\n\n' +
    'Lists the Hub\'s text-generation models whose id contains TEXT, most downloaded first (--limit, default 20).\n' +
    'The Hub is $HF_ENDPOINT, else the Hub setting saved in DIR (default $HEARTH_DATA_DIR, else ' +
    `${defaultDataDir({})}), else https://huggingface.co.\n` +
    '--json prints the results as one JSON array (id, downloads, likes, private, pipelineTag, libraryName, tags, lastModified).',
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        limit: { type: 'string', default: '20' },
        sort: { type: 'string', default: 'downloads' },
        'data-dir': { type: 'string' },
        json: { type: 'boolean', default: false },
      },
    });
    if (positionals.length === 0 || positionals.join(' ').trim() === '') throw new UsageError('give the text to search for, e.g. hearth search qwen');
    const sort = values.sort as HubSort;
    if (!SORTS.includes(sort)) throw new UsageError(`--sort must be one of ${SORTS.join(', ')}, not '${values.sort}'`);
    const limit = parseIntegerOption('--limit', values.limit, { min: 1, max: 1000 });
    const dataDir = values['data-dir'] === undefined ? defaultDataDir() : resolve(values['data-dir']);
    const client = new HubClient(hubEndpointIn(dataDir));
    const results = await client.searchModels({ search: positionals.join(' ').trim(), limit, sort });
    if (values.json) {
      console.log(JSON.stringify(results));
      return 0;
    }
    if (results.length === 0) {
      console.log(`no text-generation model on ${client.endpoint.url} matches '${positionals.join(' ')}'`);
      return 0;
    }
    const width = Math.max(...results.map((r) => r.id.length), 'model'.length);
    console.log(`${'model'.padEnd(width)}  ${'downloads'.padStart(10)}  ${'likes'.padStart(6)}  updated`);
    for (const r of results) {
      const flags = r.private ? '  (private)' : '';
      console.log(`${r.id.padEnd(width)}  ${String(r.downloads).padStart(10)}  ${String(r.likes).padStart(6)}  ${r.lastModified?.slice(0, 10) ?? '-'}${flags}`);
    }
    console.log(`\nhearth pull <model> downloads one into the library.`);
    return 0;
  },
};
