// Everything the main side pushes to the UI, on one stream (IPC events, or SSE in the web
// shell). One schema per event type, validated where it is received.
import { z } from 'zod';
import { PrecisionSchema } from '../model-manifest.ts';
import { ApiErrorSchema } from './api-error.ts';
import { MessageSchema } from './chat.ts';
import { DownloadProgressSchema, DownloadStateSchema } from './hub.ts';
import { JobStateSchema, PreferenceRewardsSchema } from './jobs.ts';

export const TokenEventSchema = z.object({
  type: z.literal('chat.token'),
  conversationId: z.string(),
  messageId: z.string(),
  text: z.string(),
});

/** A reply ended (complete, stopped, interrupted by a crash, or failed): the final message. */
export const ReplyEndedEventSchema = z.object({
  type: z.literal('chat.ended'),
  conversationId: z.string(),
  message: MessageSchema,
});

/** Something the user must see in the conversation: dropped context, a worker restart... */
export const ChatNoticeEventSchema = z.object({
  type: z.literal('chat.notice'),
  conversationId: z.string(),
  kind: z.enum(['context-dropped', 'worker-restarted', 'cpu-fallback', 'error']),
  text: z.string(),
});

/**
 * A variant build moved: the builder's step (`done` of `total`, named by `label`), or how it ended
 * ('cancelled': stopped by models.cancelBuild or a quit, the variant left not built). The build
 * runs in a process of its own, which also reports the bytes it has written, the planner's figure
 * for the whole (null when unknown) and the milliseconds left (null until it can tell); these are
 * absent from events that are not about a build in progress.
 */
export const BuildProgressEventSchema = z.object({
  type: z.literal('model.build'),
  modelId: z.string(),
  precision: PrecisionSchema,
  state: z.enum(['building', 'ready', 'failed', 'cancelled']),
  done: z.number(),
  total: z.number(),
  label: z.string(),
  error: ApiErrorSchema.nullable(),
  bytesWritten: z.number().nonnegative().optional(),
  expectedBytes: z.number().positive().nullable().optional(),
  etaMs: z.number().nonnegative().nullable().optional(),
});

/** A fine-tune job moved: a step, an evaluation, or a new state. */
export const JobProgressEventSchema = z.object({
  type: z.literal('job.progress'),
  jobId: z.string(),
  state: JobStateSchema,
  step: z.number().int().nonnegative(),
  totalSteps: z.number().int().positive().nullable(),
  /** The train loss of this step (null when the event reports only an evaluation or a state). */
  trainLoss: z.number().nullable(),
  /** Set when this event reports an evaluation at `step`. */
  evalLoss: z.number().nullable().optional(),
  lr: z.number().nullable().optional(),
  tokensPerSecond: z.number().nullable().optional(),
  /** DPO jobs: the rewards of this step (with trainLoss) or of this evaluation (with evalLoss). */
  rewards: PreferenceRewardsSchema.nullable().optional(),
  etaMs: z.number().nonnegative().nullable(),
});

/** A job was created, started, finished, resumed or deleted: lists reload. */
export const JobsChangedEventSchema = z.object({ type: z.literal('jobs.changed') });
export const AdaptersChangedEventSchema = z.object({ type: z.literal('adapters.changed') });

/** A download moved: bytes (total and per file), speed and ETA, or a new state. */
export const DownloadProgressEventSchema = z.object({
  type: z.literal('download.progress'),
  jobId: z.string(),
  state: DownloadStateSchema,
  progress: DownloadProgressSchema,
  error: z.string().nullable(),
});

/** A download was started, finished, paused, resumed or cancelled: lists reload. */
export const DownloadsChangedEventSchema = z.object({ type: z.literal('downloads.changed') });

export const LibraryChangedEventSchema = z.object({ type: z.literal('library.changed') });
export const ConversationsChangedEventSchema = z.object({ type: z.literal('conversations.changed') });

export const WorkerStatusEventSchema = z.object({
  type: z.literal('worker.status'),
  state: z.enum(['idle', 'loading', 'ready', 'busy', 'crashed', 'restarting']),
  /** Which model variant is loaded, and where it runs; why on the CPU when it does. */
  modelId: z.string().nullable(),
  precision: PrecisionSchema.nullable(),
  device: z.enum(['cpu', 'gpu']).nullable(),
  cpuReason: z.string().nullable(),
  /** Measured after load, shown next to the estimate. */
  memoryBytes: z.number().nullable(),
  estimatedBytes: z.number().nullable(),
  message: z.string().nullable(),
});

export const ApiEventSchema = z.discriminatedUnion('type', [
  TokenEventSchema,
  ReplyEndedEventSchema,
  ChatNoticeEventSchema,
  BuildProgressEventSchema,
  LibraryChangedEventSchema,
  ConversationsChangedEventSchema,
  WorkerStatusEventSchema,
  JobProgressEventSchema,
  JobsChangedEventSchema,
  AdaptersChangedEventSchema,
  DownloadProgressEventSchema,
  DownloadsChangedEventSchema,
]);
export type ApiEvent = z.infer<typeof ApiEventSchema>;
