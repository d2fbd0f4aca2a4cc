// The services as one object for the shells (the Electron main process and the web shell): the
// API handlers, the event stream and close. Opening it opens the store in the data directory (a
// corrupt database is moved to a backup and replaced, with a notice the user sees), marks answers
// a crash left 'streaming' as 'interrupted' (and fine-tune jobs it left running as resumable),
// and registers the bundled demo model. The inference worker starts at the first reply, a
// training worker for each fine-tune job run and a build worker for each variant build, through
// the launcher the shell provides.
import { resolve } from 'node:path';
import type { ApiHandlers } from '../common/contracts/api.ts';
import { ApiError } from '../common/contracts/api-error.ts';
import type { ApiEvent } from '../common/contracts/events.ts';
import type { HardwareSummary } from '../common/hardware-contract.ts';
import { detectHardware } from '../hardware/detect-hardware.ts';
import { databaseFileIn, openStore, type Store } from '../store/store.ts';
import { StoreError } from '../store/store-error.ts';
import type { WorkerLauncher } from '../worker/worker-launcher.ts';
import { NodeWorkerLauncher } from '../worker/node-worker-launcher.ts';
import { ApiCompletions } from './api-completions.ts';
import { ChatService } from './chat-service.ts';
import { ConversationService } from './conversation-service.ts';
import { EngineHost } from './engine-host.ts';
import { EventBus } from './event-bus.ts';
import { guardHandlers } from './handler-guard.ts';
import { HardwareService } from './hardware-service.ts';
import { planTrainingJob } from './training-plan.ts';
import { LibraryService } from './library-service.ts';
import { VariantBuilds } from './variant-builds.ts';
import { probeWebGpuInProcess } from './webgpu-probe-process.ts';
import { AdapterService } from './adapter-service.ts';
import { previewDataset } from './dataset-file.ts';
import { JobsService } from './jobs-service.ts';
import { adaptedVariantsDir } from './model-paths.ts';
import { LocalServerSettings } from './local-server-settings.ts';
import { OpenConversationSetting } from './open-conversation-setting.ts';
import { QualityMeasurements } from './quality-measurements.ts';
import { DownloadsService } from './downloads-service.ts';
import { HubService } from './hub-service.ts';
import { HubSettingsService } from './hub-settings.ts';

export interface CreateServicesOptions {
  /** Holds hearth.sqlite and models/<id>/<precision>-fused/ (Electron's userData, or --data-dir). */
  dataDir: string;
  /** Holds models/shakespeare-5m, the bundled demo model (the repo's resources/, or process.resourcesPath). */
  resourcesDir: string;
  /** Starts the inference and training workers: the Electron app passes its utilityProcess launcher; default forked Node children (NodeWorkerLauncher). */
  launcher?: WorkerLauncher;
  /** An already opened store (tests); default: openStore in dataDir. Closed by close() either way. */
  store?: Store;
  /** Hardware detection; default detectHardware() with the WebGPU probe in a process of its own, started by the launcher (run once, on first use, and cached). */
  detectHardware?: () => Promise<HardwareSummary>;
  /** Shown by app.status; default 'dev'. */
  version?: string;
  /** better-sqlite3's native build to open the store with (the Electron app from a checkout); default its own build/. */
  sqliteNativeBinding?: string;
  /** Where HF_ENDPOINT and HF_TOKEN are read (the Hugging Face Hub); default process.env. */
  env?: NodeJS.ProcessEnv;
}

export interface Services {
  handlers: ApiHandlers;
  events: { subscribe(listener: (event: ApiEvent) => void): () => void };
  /**
   * What the user must be told about the start-up (a corrupt database replaced by an empty one
   * with its backup's path, answers a crash cut off, a missing demo model). Events sent before
   * any subscriber would be lost, so the shell shows these itself.
   */
  startupNotices: readonly string[];
  /** Completions for the OpenAI-compatible API (/v1 on the web shell's server). */
  openai: ApiCompletions;
  /** The API key, the allowed browser origins and the address the shell announces. */
  localServer: LocalServerSettings;
  /** Stops any reply (kept as 'stopped'), ends the worker, closes the store. */
  close(): Promise<void>;
}

function openStoreIn(dataDir: string, nativeBinding: string | undefined): Store {
  try {
    return openStore(databaseFileIn(dataDir), { onCorrupt: 'backup-and-recreate', nativeBinding });
  } catch (error) {
    // Locked or from a newer Hearth: the shell shows this message instead of a blank window.
    if (error instanceof StoreError) throw new ApiError('store', error.message);
    throw error;
  }
}

export async function createServices(options: CreateServicesOptions): Promise<Services> {
  const dataDir = resolve(options.dataDir);
  const store = options.store ?? openStoreIn(dataDir, options.sqliteNativeBinding);
  const notices: string[] = [];
  if (store.database.corruptBackupPath) {
    notices.push(
      `Hearth's database was damaged, so an empty one was started. The damaged file was kept as ${store.database.corruptBackupPath}; ` +
        'your earlier conversations are in it.',
    );
  }
  if (store.interruptedAtOpen > 0) {
    notices.push(`${store.interruptedAtOpen === 1 ? '1 answer was' : `${store.interruptedAtOpen} answers were`} cut off when Hearth last stopped; the text so far was kept.`);
  }

  const bus = new EventBus();
  const launcher = options.launcher ?? new NodeWorkerLauncher();
  const hardware = new HardwareService(store, options.detectHardware ?? (() => detectHardware({ probeWebGpu: () => probeWebGpuInProcess(launcher) })));
  const builds = new VariantBuilds(store, dataDir, bus, hardware, launcher);
  const engine = new EngineHost(launcher, bus);
  const chat = new ChatService({ store, bus, engine, builds, hardware });
  const openai = new ApiCompletions({ store, bus, engine, builds, hardware });
  chat.otherWorkReason = (modelId) => openai.otherModelReason(modelId);
  const localServer = new LocalServerSettings(store);
  const conversations = new ConversationService(store, bus, { stopReply: (id) => chat.stop(id) });
  const library = new LibraryService(store, dataDir, bus, {
    busyReason: (modelId): string | null => (builds.isBuilding(modelId) ? 'a variant of it is being built' : (chat.busyReason(modelId) ?? openai.busyReason(modelId) ?? jobs.busyReason(modelId))),
    release: (modelId) => engine.release(modelId),
  });
  const adapters = new AdapterService(store, dataDir, bus, {
    library,
    busyReason: (adapter) => (builds.isBuildingAdapter(adapter.id) ? 'the model is being built with it' : chat.adapterBusyReason(adapter.id)),
    release: (adapter) => engine.releaseLoadedFrom(adaptedVariantsDir(dataDir, adapter.baseModelId, adapter.id)),
  });
  const openConversation = new OpenConversationSetting(store);
  const quality = new QualityMeasurements({ store, bus, builds, engine, hardware, resourcesDir: resolve(options.resourcesDir) });
  const jobs: JobsService = new JobsService(store, dataDir, bus, launcher, adapters);
  if (jobs.interruptedAtStart > 0) {
    notices.push(`${jobs.interruptedAtStart === 1 ? 'A fine-tune job was' : `${jobs.interruptedAtStart} fine-tune jobs were`} cut off when Hearth last stopped; resume on the Fine-tune page continues from the last checkpoint.`);
  }
  const hubSettings = new HubSettingsService(store, options.env);
  const hub = new HubService(hubSettings, hardware);
  const downloads = new DownloadsService({ store, dataDir, bus, importModel: (input) => library.importModel(input), endpoint: () => hubSettings.endpoint() });
  if (downloads.interruptedAtStart > 0) {
    notices.push(`${downloads.interruptedAtStart === 1 ? 'A download was' : `${downloads.interruptedAtStart} downloads were`} cut off when Hearth last stopped; resume on the Discover page continues from what was already downloaded.`);
  }
  try {
    const bundledNotice = await library.registerBundled(resolve(options.resourcesDir));
    if (bundledNotice) notices.push(bundledNotice);
  } catch (error) {
    if (!options.store) store.close();
    throw error;
  }

  const done = { done: true as const };
  const handlers = guardHandlers({
    'app.status': async () => ({ version: options.version ?? 'dev', dataDir, worker: engine.status() }),
    'app.openConversation': async () => ({ conversationId: openConversation.get() }),
    'app.setOpenConversation': async ({ conversationId }) => {
      openConversation.set(conversationId);
      return done;
    },
    'hardware.get': () => hardware.get(),

    'models.list': async () => library.list(),
    'models.import': (input) => library.importModel(input),
    'models.delete': async ({ modelId }) => {
      await library.delete(modelId);
      await downloads.forgetModel(modelId);
      return done;
    },
    'models.plan': ({ modelId, contextTokens }) => hardware.plan(modelId, contextTokens),
    'models.buildVariant': async ({ modelId, precision }) => {
      builds.start(modelId, precision);
      return done;
    },
    'models.cancelBuild': async ({ modelId, precision }) => ({ cancelled: await builds.cancel(modelId, precision) }),
    'models.mergeAdapter': ({ adapterId, name }) => adapters.mergeIntoModel(adapterId, name),
    'models.measureQuality': ({ modelId, precision, contextTokens }) => quality.measure(modelId, precision, contextTokens),
    'models.unload': async () => {
      const { modelId: loadedId, state } = engine.status();
      const reason = state === 'loading' || state === 'busy' ? 'a reply is being written' : loadedId === null ? null : chat.busyReason(loadedId);
      if (reason) throw new ApiError('busy', `The model cannot be unloaded now: ${reason}. Wait for the reply or stop it first.`);
      await engine.unload();
      return engine.status();
    },

    'conversations.list': async () => conversations.list(),
    'conversations.search': async ({ query }) => conversations.search(query),
    'conversations.create': async (input) => conversations.create(input),
    'conversations.get': async ({ conversationId }) => conversations.get(conversationId),
    'conversations.rename': async ({ conversationId, title }) => {
      conversations.rename(conversationId, title);
      return done;
    },
    'conversations.update': async (input) => conversations.update(input),
    'conversations.delete': async ({ conversationId }) => {
      await conversations.delete(conversationId);
      return done;
    },

    'chat.send': ({ conversationId, text }) => chat.send(conversationId, text),
    'chat.stop': async ({ conversationId }) => {
      requireKnownConversation(store, conversationId);
      await chat.stop(conversationId);
      return done;
    },
    'chat.regenerate': ({ conversationId }) => chat.regenerate(conversationId),
    'chat.editAndResend': ({ messageId, text }) => chat.editAndResend(messageId, text),

    'jobs.previewDataset': ({ path, method }) => previewDataset(path, dataDir, method),
    'jobs.trainingPlan': (input) => planTrainingJob(store, hardware, input),
    'jobs.create': (input) => jobs.create(input),
    'jobs.list': async () => jobs.list(),
    'jobs.get': async ({ jobId }) => jobs.get(jobId),
    'jobs.cancel': async ({ jobId }) => jobs.cancel(jobId),
    'jobs.resume': async ({ jobId }) => jobs.resume(jobId),
    'jobs.delete': async ({ jobId }) => {
      await jobs.delete(jobId);
      return done;
    },

    'adapters.list': async () => adapters.list(),
    'adapters.importPeft': (input) => adapters.importPeft(input),
    'adapters.delete': async ({ adapterId }) => {
      await adapters.delete(adapterId);
      return done;
    },

    'hub.search': (input) => hub.search(input),
    'hub.modelInfo': (input) => hub.modelInfo(input),
    'hub.settings': async () => hubSettings.get(),
    'hub.setSettings': async (input) => hubSettings.set(input),
    'downloads.start': async (input) => downloads.start(input),
    'downloads.pause': ({ jobId }) => downloads.pause(jobId),
    'downloads.resume': async ({ jobId }) => downloads.resume(jobId),
    'downloads.cancel': ({ jobId }) => downloads.cancel(jobId),
    'downloads.list': async () => downloads.list(),

    'server.info': async () => localServer.info(),
    'server.newApiKey': async () => {
      localServer.newApiKey();
      return localServer.info();
    },
    'server.setCorsOrigins': async ({ origins }) => {
      localServer.setCorsOrigins(origins);
      return localServer.info();
    },
    'server.setLocalNetwork': async ({ enabled }) => {
      localServer.setLocalNetwork(enabled);
      return localServer.info();
    },
    'server.setApiPort': async ({ port }) => {
      localServer.setApiPort(port);
      return localServer.info();
    },
  });
  // Jobs queued when Hearth last closed start now (one at a time).
  jobs.startQueued();

  let closing: Promise<void> | null = null;
  return {
    handlers,
    events: { subscribe: (listener) => bus.subscribe(listener) },
    startupNotices: notices,
    openai,
    localServer,
    close: () =>
      (closing ??= (async () => {
        await chat.stopAll();
        await builds.close();
        await jobs.close();
        await downloads.close();
        await engine.close();
        store.close();
      })()),
  };
}

function requireKnownConversation(store: Store, conversationId: string): void {
  if (!store.conversations.get(conversationId)) throw new ApiError('not-found', `There is no conversation ${conversationId} (was it deleted?).`);
}
