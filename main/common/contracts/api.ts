// The one API between the UI and the main side, used over Electron IPC and over HTTP in the
// web shell: a method name, its input schema and its output schema. Transports validate the
// input where it is received and the output before it is sent back; services implement
// `ApiHandlers`.
import { z } from 'zod';
import { HardwareSummarySchema } from '../hardware-contract.ts';
import {
  ConversationIdInputSchema,
  ConversationSchema,
  ConversationSummarySchema,
  CreateConversationInputSchema,
  EditMessageInputSchema,
  OpenConversationSchema,
  RenameConversationInputSchema,
  ReplyStartedSchema,
  SearchConversationsInputSchema,
  SendMessageInputSchema,
  UpdateConversationInputSchema,
} from './chat.ts';
import {
  BuildVariantInputSchema,
  ImportModelInputSchema,
  MeasureQualityInputSchema,
  ModelIdInputSchema,
  ModelPlanSchema,
  ModelSummarySchema,
  PlanInputSchema,
} from './models.ts';
import { WorkerStatusEventSchema } from './events.ts';
import {
  DownloadIdInputSchema,
  DownloadSchema,
  HubModelInfoInputSchema,
  HubModelInfoSchema,
  HubSearchInputSchema,
  HubSearchResultSchema,
  HubSettingsSchema,
  SetHubSettingsInputSchema,
  StartDownloadInputSchema,
} from './hub.ts';
import {
  AdapterIdInputSchema,
  AdapterSchema,
  CreateJobInputSchema,
  DatasetPreviewSchema,
  ImportAdapterInputSchema,
  JobDetailSchema,
  JobIdInputSchema,
  JobSchema,
  MergeAdapterInputSchema,
  PreviewDatasetInputSchema,
  TrainingPlanInputSchema,
  TrainingPlanSchema,
} from './jobs.ts';
import { LocalServerInfoSchema, SetApiPortInputSchema, SetCorsOriginsInputSchema, SetLocalNetworkInputSchema } from './local-server.ts';

const Empty = z.object({});
const Done = z.object({ done: z.literal(true) });

export const API = {
  'app.status': { input: Empty, output: z.object({ version: z.string(), dataDir: z.string(), worker: WorkerStatusEventSchema }) },
  /** The conversation the window had open when it last said so (null when none, or when it was deleted since). */
  'app.openConversation': { input: Empty, output: OpenConversationSchema },
  /** Remembers the conversation the window has open, so a reload or a restart reopens it. */
  'app.setOpenConversation': { input: OpenConversationSchema, output: Done },
  'hardware.get': { input: Empty, output: HardwareSummarySchema },

  'models.list': { input: Empty, output: z.array(ModelSummarySchema) },
  'models.import': { input: ImportModelInputSchema, output: ModelSummarySchema },
  'models.delete': { input: ModelIdInputSchema, output: Done },
  'models.plan': { input: PlanInputSchema, output: ModelPlanSchema },
  /** Starts building a precision variant (progress arrives as model.build events). */
  'models.buildVariant': { input: BuildVariantInputSchema, output: Done },
  /**
   * Stops a variant's build: its process is ended, what it wrote removed, and the variant left not
   * built (a 'cancelled' model.build event). `cancelled` is false when no build of it was running.
   */
  'models.cancelBuild': { input: BuildVariantInputSchema, output: z.object({ cancelled: z.boolean() }) },
  /**
   * Measures what a precision costs this model: its build's perplexity over the fp32 build's on the
   * quality text shipped with Hearth (either built first when needed), once per build. Answers the
   * plan, whose quality note for that precision is then "measured on this model".
   */
  'models.measureQuality': { input: MeasureQualityInputSchema, output: ModelPlanSchema },
  /** Folds an adapter into its base model's weights as a new library model (built later at any precision). */
  'models.mergeAdapter': { input: MergeAdapterInputSchema, output: ModelSummarySchema },
  /** Ends the inference worker, freeing the loaded model's memory; the next message loads it again. Answers the new status. */
  'models.unload': { input: Empty, output: WorkerStatusEventSchema },

  'conversations.list': { input: Empty, output: z.array(ConversationSummarySchema) },
  'conversations.search': { input: SearchConversationsInputSchema, output: z.array(ConversationSummarySchema) },
  'conversations.create': { input: CreateConversationInputSchema, output: ConversationSchema },
  'conversations.get': { input: ConversationIdInputSchema, output: ConversationSchema },
  'conversations.rename': { input: RenameConversationInputSchema, output: Done },
  'conversations.update': { input: UpdateConversationInputSchema, output: ConversationSchema },
  'conversations.delete': { input: ConversationIdInputSchema, output: Done },

  /** Stores the user message and starts the reply; tokens arrive as chat.token events. */
  'chat.send': { input: SendMessageInputSchema, output: ReplyStartedSchema },
  /** Stops the reply being generated in a conversation, keeping what was written. */
  'chat.stop': { input: ConversationIdInputSchema, output: Done },
  /** Replaces the last assistant reply with a new one. */
  'chat.regenerate': { input: ConversationIdInputSchema, output: ReplyStartedSchema },
  /** Changes a user message, drops everything after it, and answers again. */
  'chat.editAndResend': { input: EditMessageInputSchema, output: ReplyStartedSchema },

  /** Reads a JSONL file the user named: its first rows and every bad line with its number. */
  'jobs.previewDataset': { input: PreviewDatasetInputSchema, output: DatasetPreviewSchema },
  /** The job's memory per base precision, with a fit badge, before it is created. */
  'jobs.trainingPlan': { input: TrainingPlanInputSchema, output: TrainingPlanSchema },
  /** Queues a fine-tune job; it starts when no other job runs (one at a time). Progress arrives as job.progress events. */
  'jobs.create': { input: CreateJobInputSchema, output: JobSchema },
  'jobs.list': { input: Empty, output: z.array(JobSchema) },
  /** A job with its loss curve. */
  'jobs.get': { input: JobIdInputSchema, output: JobDetailSchema },
  /** Stops a job (a running one at its next step, after writing a checkpoint to resume from). */
  'jobs.cancel': { input: JobIdInputSchema, output: JobSchema },
  /** Queues a cancelled or failed job again; it continues from its last checkpoint, and so does its loss curve. */
  'jobs.resume': { input: JobIdInputSchema, output: JobSchema },
  /** Deletes a job that is not running, with its checkpoints; the adapter it produced stays. */
  'jobs.delete': { input: JobIdInputSchema, output: Done },

  'adapters.list': { input: Empty, output: z.array(AdapterSchema) },
  /** Imports an adapter PEFT's save_pretrained wrote elsewhere (its files are copied). */
  'adapters.importPeft': { input: ImportAdapterInputSchema, output: AdapterSchema },
  /** Deletes an adapter; conversations that used it go back to the model alone. */
  'adapters.delete': { input: AdapterIdInputSchema, output: Done },

  /** Text-generation models on the Hugging Face Hub (HF_ENDPOINT or the Hub setting) whose id matches. */
  'hub.search': { input: HubSearchInputSchema, output: HubSearchResultSchema },
  /** A repo's files to download, and its size per precision with the fit badge on this machine (from its config.json), or its GGUF files to pick from. */
  'hub.modelInfo': { input: HubModelInfoInputSchema, output: HubModelInfoSchema },
  /** The Hub endpoint and token (masked) in use, and where each comes from. */
  'hub.settings': { input: Empty, output: HubSettingsSchema },
  'hub.setSettings': { input: SetHubSettingsInputSchema, output: HubSettingsSchema },

  /** Starts downloading a repo (or one of its GGUF files) pinned to its commit; progress arrives as download.progress events, and the model then joins the library. */
  'downloads.start': { input: StartDownloadInputSchema, output: DownloadSchema },
  /** Stops a download, keeping its .part files to resume from. */
  'downloads.pause': { input: DownloadIdInputSchema, output: DownloadSchema },
  /** Continues a paused or failed download from its .part files (Range requests). */
  'downloads.resume': { input: DownloadIdInputSchema, output: DownloadSchema },
  /** Stops a download and removes its files. */
  'downloads.cancel': { input: DownloadIdInputSchema, output: DownloadSchema },
  'downloads.list': { input: Empty, output: z.array(DownloadSchema) },

  /** The OpenAI-compatible API's address (when a server runs), its key and the allowed browser origins: the "Local server" page. */
  'server.info': { input: Empty, output: LocalServerInfoSchema },
  /** Replaces the API key (clients with the old one get 401). */
  'server.newApiKey': { input: Empty, output: LocalServerInfoSchema },
  /** The origins whose pages may call the API from a browser (CORS); none by default. */
  'server.setCorsOrigins': { input: SetCorsOriginsInputSchema, output: LocalServerInfoSchema },
  /** Lets other machines on the local network reach the server (from `hearth serve`'s next start), the key still required; off: 127.0.0.1 only. */
  'server.setLocalNetwork': { input: SetLocalNetworkInputSchema, output: LocalServerInfoSchema },
  /** The port the desktop app serves the API on, from its next start. */
  'server.setApiPort': { input: SetApiPortInputSchema, output: LocalServerInfoSchema },
} as const satisfies Record<string, { input: z.ZodType; output: z.ZodType }>;

export type ApiMethod = keyof typeof API;
export type ApiInput<M extends ApiMethod> = z.input<(typeof API)[M]['input']>;
export type ApiOutput<M extends ApiMethod> = z.infer<(typeof API)[M]['output']>;

/** What the services provide: one async function per method. */
export type ApiHandlers = { [M in ApiMethod]: (input: z.infer<(typeof API)[M]['input']>) => Promise<ApiOutput<M>> };

export const API_METHODS = Object.keys(API) as ApiMethod[];

export function isApiMethod(name: string): name is ApiMethod {
  return Object.hasOwn(API, name);
}
