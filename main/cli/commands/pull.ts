// hearth pull <repo-id> [--revision REV] [--file NAME] [--data-dir DIR] [--name NAME] [--json]
// Downloads a model from the Hugging Face Hub (HF_ENDPOINT, else the Hub setting, else the public
// Hub) into the data directory's downloads folder, the same folder the app's downloads use (so
// either resumes the other's parts), then adds it to the library exactly as `hearth import` does.
// Progress goes to stderr; the exit status is 0 only once every file is verified against the
// Hub's checksum and the model is in the library. Ctrl+C pauses: the parts stay, and the same
// command resumes them with Range requests (also after a crash or a kill).
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { HubError } from '../../hub/hub-error.ts';
import { downloadRepo, type RepoDownloadProgress } from '../../hub/repo-download.ts';
import { defaultDataDir } from '../../services/default-data-dir.ts';
import { destDirOf } from '../../services/downloads-service.ts';
import { ggufQuantizationOf } from '../../services/hub-service.ts';
import { formatBytes } from '../byte-size.ts';
import { UsageError, type Command } from '../command.ts';
import { hubEndpointIn } from '../hub-endpoint-in.ts';
import { importIntoLibrary } from '../library-import.ts';
import { createProgressBar } from '../progress-bar.ts';

/** Without a terminal, a progress line at most this often (plus one per retry), so logs stay short. */
const PROGRESS_LINE_INTERVAL_MS = 2000;

export const pullCommand: Command = {
  name: 'pull',
  summary: 'download a model from the Hugging Face Hub (resumable, verified) into the library',
  usage:
    'hearth pull <repo-id> [--revision REV] [--file NAME] [--data-dir DIR] [--name NAME] [--json]\n\n' +
    'Downloads organisation/name from the Hugging Face Hub into DIR/downloads/ (DIR: default $HEARTH_DATA_DIR, else ' +
    `${defaultDataDir({})}) and adds it to the library, as \`hearth import\` does.\n` +
    'It fetches config.json, generation_config.json, the tokenizer files and the .safetensors weights (sharded through\n' +
    'model.safetensors.index.json); .bin/.pt/.h5 weights are skipped (pickle can run code). A repository with only GGUF\n' +
    'files lists them: pick one quantization with --file NAME.gguf. --revision is a branch, tag or commit (default main);\n' +
    'the download is pinned to the commit it resolves to, so a repository changing meanwhile is not mixed in.\n' +
    'Every file is checked against the Hub\'s sha256 (git checksum for small files) before it is kept. Dropped\n' +
    'connections, stalls and server errors are retried from where they stopped; Ctrl+C pauses, and running the same\n' +
    'command again resumes (also after a crash). The Hub is $HF_ENDPOINT, else the app\'s Hub setting, else\n' +
    'https://huggingface.co; the token $HF_TOKEN, else the app\'s setting (needed for gated and private models).\n' +
    'Progress goes to stderr; --json prints the library entry as one JSON line.',
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        revision: { type: 'string' },
        file: { type: 'string', multiple: true },
        'data-dir': { type: 'string' },
        name: { type: 'string' },
        json: { type: 'boolean', default: false },
      },
    });
    if (positionals.length !== 1) throw new UsageError('give exactly one repository id, e.g. Qwen/Qwen2.5-0.5B-Instruct');
    if (values.revision !== undefined && values.revision.trim() === '') throw new UsageError('--revision cannot be blank');
    if (values.name !== undefined && values.name.trim() === '') throw new UsageError('--name cannot be blank');
    const repo = positionals[0];
    const files = values.file ?? [];
    const dataDir = values['data-dir'] === undefined ? defaultDataDir() : resolve(values['data-dir']);
    const endpoint = hubEndpointIn(dataDir);
    const ggufPick = files.length === 1 && files[0].toLowerCase().endsWith('.gguf') ? files[0] : null;
    const destDir = destDirOf(dataDir, repo, ggufPick);

    const pause = new AbortController();
    const onInterrupt = () => pause.abort();
    process.once('SIGINT', onInterrupt);
    process.once('SIGTERM', onInterrupt);
    const progress = progressReporter(repo);
    let result;
    try {
      console.error(`pulling ${repo}${values.revision ? `@${values.revision}` : ''} from ${endpoint.url} into ${destDir}`);
      result = await downloadRepo({ endpoint, repo, revision: values.revision, files, destDir, signal: pause.signal, onProgress: progress.update });
    } catch (error) {
      if (error instanceof HubError && error.kind === 'choose-file') throw new UsageError(`${error.message}\nPick one with --file NAME.gguf.`);
      if (error instanceof HubError && error.kind === 'aborted') {
        console.error(`hearth pull: ${error.message} Run the same command again to resume.`);
        return 130;
      }
      throw error;
    } finally {
      progress.stop();
      process.off('SIGINT', onInterrupt);
      process.off('SIGTERM', onInterrupt);
    }
    for (const skipped of result.skipped) console.error(`skipped ${skipped.path}: ${skipped.reason}`);
    const total = result.files.reduce((sum, file) => sum + file.size, 0);
    console.error(`verified ${result.files.length} file${result.files.length === 1 ? '' : 's'} (${formatBytes(total)}) of ${repo} at commit ${result.commit}`);
    if (result.revisionMovedTo) {
      console.error(`note: ${values.revision ?? 'main'} now points at commit ${result.revisionMovedTo}; ${destDir} keeps commit ${result.commit} (remove the model and that folder to download the new one).`);
    }

    const name = values.name?.trim() || (ggufPick ? `${repo} ${ggufQuantizationOf(ggufPick) ?? ggufPick.replace(/\.gguf$/i, '')}` : repo);
    await importIntoLibrary(dataDir, { path: result.importPath, name }, values.json, (message) => `every file was downloaded and verified into ${result.importPath}, but the library refused it: ${message}`);
    return 0;
  },
};

/** A bar on a terminal; otherwise a line every few seconds and one per retry. */
function progressReporter(repo: string): { update(progress: RepoDownloadProgress): void; stop(): void } {
  const bar = createProgressBar(`pull ${repo}`);
  let lastLine = 0;
  let lastRetry: string | null = null;
  return {
    update(progress) {
      const label = describeProgress(progress);
      if (progress.retrying && progress.retrying !== lastRetry) console.error(`retrying ${progress.retrying}`);
      lastRetry = progress.retrying;
      if (process.stderr.isTTY) {
        bar.update(progress.doneBytes, Math.max(1, progress.totalBytes), label);
      } else if (Date.now() - lastLine >= PROGRESS_LINE_INTERVAL_MS) {
        lastLine = Date.now();
        console.error(`${Math.floor((progress.doneBytes / Math.max(1, progress.totalBytes)) * 100)}% ${label}`);
      }
    },
    stop() {
      bar.stop();
    },
  };
}

function describeProgress(progress: RepoDownloadProgress): string {
  const speed = progress.bytesPerSecond > 0 ? `, ${formatBytes(progress.bytesPerSecond)}/s` : '';
  const eta = progress.etaSeconds === null ? '' : `, ${formatSeconds(progress.etaSeconds)} left`;
  return `${formatBytes(progress.doneBytes)} of ${formatBytes(progress.totalBytes)}${speed}${eta}`;
}

function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${Math.ceil(seconds)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}
