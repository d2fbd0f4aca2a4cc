// hearth finetune <hf-dir> --data F.jsonl --out DIR [--method sft|dpo] [options]
// LoRA fine-tuning without Python: progress on stderr, the PEFT adapter written to --out. Ctrl-C
// stops at the next step with a checkpoint; --resume continues from the last one.
import { parseArgs } from 'node:util';
import { FINETUNE_DEFAULTS, runFinetune, type FinetuneEvent } from '../../train/finetune-job.ts';
import type { PreferenceMetrics } from '../../train/preference-rewards.ts';
import { LR_SCHEDULES, type LrSchedule } from '../../train/lr-schedule.ts';
import { UsageError, type Command } from '../command.ts';
import { parseIntegerOption, parseNumberOption } from '../option-values.ts';
import { BASE_DTYPE_USAGE, parseBaseDtypeOption } from '../base-dtype-option.ts';
import { rerunWithTrainingAllocator } from '../../engine/runtime/training-allocator.ts';

const d = FINETUNE_DEFAULTS;

export const finetuneCommand: Command = {
  name: 'finetune',
  summary: 'LoRA fine-tuning of a Hugging Face model on a JSONL dataset (writes a PEFT adapter)',
  usage:
    'hearth finetune HF-DIR --data F.jsonl --out DIR [--method sft|dpo] [--beta 0.1] [--eval-data F.jsonl] [--rank 8] [--alpha 16] [--targets all-linear] [--lr 2e-4] [--batch 8] [--steps N | --epochs 3] [--seed 0] [--resume]\n\n' +
    'Trains LoRA matrices on the assistant answers of F.jsonl (chat {"messages"}, Alpaca {"instruction","input","output"}\n' +
    'or {"text"} rows) and writes adapter_config.json + adapter_model.safetensors (PEFT format) to --out, with\n' +
    'metrics.jsonl and checkpoints/. Without --eval-data, 10 % of the rows are held out for evaluation.\n\n' +
    `  --method sft|dpo          sft (default): learn the answers; dpo: DPO on TRL preference pairs\n` +
    '                            ({"prompt","chosen","rejected"} as strings or message lists), reference = the base\n' +
    `  --beta B                  DPO's beta (default ${d.beta})\n` +
    `  --rank R --alpha A        LoRA rank and alpha (scaling alpha/r); defaults ${d.r} and ${d.alpha}\n` +
    `  --dropout P               LoRA dropout (default ${d.dropout})\n` +
    '  --targets LIST            all-linear, or module names such as q_proj,v_proj\n' +
    `  --lr LR                   peak learning rate (default ${d.learningRate})\n` +
    `  --batch N --grad-accum K  rows per micro-batch (default ${d.batchSize}), micro-batches per step (default ${d.gradAccum})\n` +
    `  --steps N | --epochs E    optimizer steps, or epochs (default ${d.epochs} epochs)\n` +
    `  --warmup N --schedule S   warmup steps (default ${d.warmupSteps}); ${LR_SCHEDULES.join('|')} (default ${d.schedule})\n` +
    `  --weight-decay W          AdamW weight decay (default ${d.weightDecay})\n` +
    `  --max-length N            tokens per example; longer ones are truncated and counted (default ${d.maxLength})\n` +
    '  --eval-every N            evaluate every N steps (default: at the end only)\n' +
    `  --checkpoint-every N      checkpoint every N steps (default ${d.checkpointEvery})\n` +
    '  --resume                  continue from the last checkpoint in --out\n' +
    `  ${BASE_DTYPE_USAGE}  the frozen base's precision (default fp32); int8/int4 train over MatMulNBits blocks (QLoRA)\n` +
    '  --seed S --threads N      random seed (default 0); onnxruntime threads\n\n' +
    'The last lines on stdout are `adapter=<dir>` and `train_loss=… eval_loss=… tokens_per_s=…`.',
  async run(args) {
    // Training runs in a process started with the allocator settings it needs (training-allocator.ts).
    const rerun = rerunWithTrainingAllocator();
    if (rerun !== null) return rerun;
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        data: { type: 'string' },
        method: { type: 'string' },
        beta: { type: 'string' },
        'eval-data': { type: 'string' },
        out: { type: 'string' },
        rank: { type: 'string' },
        alpha: { type: 'string' },
        dropout: { type: 'string' },
        targets: { type: 'string' },
        lr: { type: 'string' },
        batch: { type: 'string' },
        'grad-accum': { type: 'string' },
        steps: { type: 'string' },
        epochs: { type: 'string' },
        warmup: { type: 'string' },
        schedule: { type: 'string' },
        'weight-decay': { type: 'string' },
        'max-length': { type: 'string' },
        'eval-every': { type: 'string' },
        'checkpoint-every': { type: 'string' },
        seed: { type: 'string' },
        threads: { type: 'string' },
        resume: { type: 'boolean' },
        'base-dtype': { type: 'string' },
      },
    });
    if (positionals.length !== 1) throw new UsageError('give exactly one Hugging Face model folder');
    if (values.data === undefined) throw new UsageError('--data F.jsonl is required');
    if (values.out === undefined) throw new UsageError('--out DIR is required (the adapter folder)');
    const int = (option: string, text: string | undefined, min: number) => (text === undefined ? undefined : parseIntegerOption(option, text, { min }));
    const num = (option: string, text: string | undefined, min: number, max?: number) => (text === undefined ? undefined : parseNumberOption(option, text, { min, max }));
    if (values.schedule !== undefined && !(LR_SCHEDULES as readonly string[]).includes(values.schedule)) throw new UsageError(`--schedule must be one of ${LR_SCHEDULES.join(', ')}, not '${values.schedule}'`);
    if (values.method !== undefined && values.method !== 'sft' && values.method !== 'dpo') throw new UsageError(`--method must be sft or dpo, not '${values.method}'`);
    if (values.beta !== undefined && values.method !== 'dpo') throw new UsageError('--beta applies to --method dpo only');
    if (values.steps !== undefined && values.epochs !== undefined) throw new UsageError('give --steps or --epochs, not both');

    const controller = new AbortController();
    const onInterrupt = () => {
      console.error('\nstopping after this step (a checkpoint is written; continue with --resume)...');
      controller.abort();
    };
    process.once('SIGINT', onInterrupt);
    const started = performance.now();
    try {
      const result = await runFinetune({
        baseDir: positionals[0],
        dataPath: values.data,
        evalDataPath: values['eval-data'],
        method: values.method as 'sft' | 'dpo' | undefined,
        beta: num('--beta', values.beta, 0),
        outDir: values.out,
        r: int('--rank', values.rank, 1),
        alpha: num('--alpha', values.alpha, 0),
        dropout: num('--dropout', values.dropout, 0, 0.99),
        targets: values.targets,
        learningRate: num('--lr', values.lr, 0),
        batchSize: int('--batch', values.batch, 1),
        gradAccum: int('--grad-accum', values['grad-accum'], 1),
        steps: int('--steps', values.steps, 1),
        epochs: num('--epochs', values.epochs, 0),
        warmupSteps: int('--warmup', values.warmup, 0),
        schedule: values.schedule as LrSchedule | undefined,
        weightDecay: num('--weight-decay', values['weight-decay'], 0),
        maxLength: int('--max-length', values['max-length'], 2),
        evalEvery: int('--eval-every', values['eval-every'], 0),
        checkpointEvery: int('--checkpoint-every', values['checkpoint-every'], 0),
        seed: int('--seed', values.seed, 0),
        threads: int('--threads', values.threads, 1),
        resume: values.resume === true,
        baseDtype: parseBaseDtypeOption(values['base-dtype']),
        signal: controller.signal,
        onEvent: reportProgress,
      });
      const seconds = (performance.now() - started) / 1000;
      if (result.status === 'cancelled') {
        console.error(`cancelled at step ${result.step} of ${result.totalSteps}; resume with the same command and --resume`);
        return 130;
      }
      console.error(`trained ${result.step} steps in ${seconds.toFixed(1)}s (${result.tokensPerSecond.toFixed(0)} tokens/s while training)`);
      console.log(`adapter=${result.adapterDir}`);
      const evalText = result.evalLoss === null ? 'none' : result.evalLoss.toFixed(6);
      console.log(`train_loss=${result.finalLoss?.toFixed(6) ?? 'none'} eval_loss=${evalText} tokens_per_s=${result.tokensPerSecond.toFixed(0)}`);
      const p = result.preference;
      if (p) console.log(`preference_accuracy=${p.rewardsAccuracy.toFixed(4)} reward_margin=${p.rewardsMargin.toFixed(6)} rewards_chosen=${p.rewardsChosen.toFixed(6)} rewards_rejected=${p.rewardsRejected.toFixed(6)}`);
      return 0;
    } finally {
      process.off('SIGINT', onInterrupt);
    }
  },
};

/** One stderr line per event; steps are thinned to about 30 lines per run. */
function reportProgress(event: FinetuneEvent): void {
  switch (event.type) {
    case 'prepared': {
      const { dataset } = event;
      const evalNote = dataset.evalSource === 'none' ? 'no eval set (fewer than 10 rows and no --eval-data)' : `${dataset.evalExamples} eval examples (${dataset.evalSource === 'split' ? '10 % held out' : 'from --eval-data'})`;
      console.error(`${dataset.trainExamples} train examples, ${evalNote}; ${dataset.truncated} truncated to ${dataset.maxLength} tokens`);
      if (dataset.unscoredLines.length > 0) console.error(`left out (no answer token within the maximum length): line(s) ${dataset.unscoredLines.join(', ')}`);
      console.error(`${event.totalSteps} steps, ${event.trainableParameters} trainable parameters, training graph of ${event.graphNodes} nodes`);
      break;
    }
    case 'resumed':
      console.error(`resumed at step ${event.step} from ${event.checkpointDir}`);
      break;
    case 'step': {
      const every = Math.max(1, Math.floor(event.totalSteps / 30));
      if (event.step % every === 0 || event.step === event.totalSteps || event.step === 1) {
        console.error(
          `step ${event.step}/${event.totalSteps} loss ${event.loss.toFixed(4)} lr ${event.lr.toExponential(2)} epoch ${event.epoch.toFixed(2)} ` +
            `${event.tokensPerSecond.toFixed(0)} tok/s eta ${(event.etaMs / 1000).toFixed(0)}s${event.preference ? ` ${rewardsText(event.preference)}` : ''}`,
        );
      }
      break;
    }
    case 'eval':
      console.error(`step ${event.step} eval loss ${event.evalLoss.toFixed(4)}${event.preference ? ` ${rewardsText(event.preference)}` : ''}`);
      break;
    case 'checkpoint':
      console.error(`checkpoint: ${event.dir}`);
      break;
    case 'done':
      break;
  }
}

function rewardsText(p: PreferenceMetrics): string {
  return `rewards chosen ${p.rewardsChosen.toFixed(3)} rejected ${p.rewardsRejected.toFixed(3)} margin ${p.rewardsMargin.toFixed(3)} accuracy ${p.rewardsAccuracy.toFixed(2)}`;
}
