// The bar above every page: which model, at which precision (the plan), the adapter the
// conversation chats through, the build in progress, and what the model process is doing,
// where it runs and how much memory it really uses, with Unload to give that memory back.
import type { ModelSummary } from '../../../main/common/contracts/models.ts';
import type { Precision } from '../../../main/common/model-manifest.ts';
import type { PrecisionPlan } from '../../../main/common/precision-plan-contract.ts';
import type { WorkerStatus } from '../format/worker-status-text.ts';
import type { BuildProgress } from '../state/build-progress.ts';
import { BuildProgressBar } from './BuildProgressBar.tsx';
import { ModelSelect } from './ModelSelect.tsx';
import { PrecisionSelect } from './PrecisionSelect.tsx';
import { WorkerStatusView } from './WorkerStatusView.tsx';
import './TopBar.css';

export interface TopBarProps {
  models: ModelSummary[];
  modelId: string | null;
  onModel: (modelId: string | null) => void;
  plan: PrecisionPlan | null;
  planError: string | null;
  precision: Precision | null;
  onPrecision: (precision: Precision) => void;
  /** "Measure quality": this model's own cost of a precision instead of the typical figure. */
  onMeasureQuality: (precision: Precision) => Promise<void>;
  build: BuildProgress | null;
  /** Stops the build in progress of the chosen precision, and starts it again once cancelled. */
  onCancelBuild: () => void;
  onBuild: () => void;
  worker: WorkerStatus | null;
  workerModelName: string | null;
  /** True while an unload is on its way. */
  unloading: boolean;
  onUnload: () => void;
  /** The adapter the conversation chats through, if any, and how to go back to the model alone. */
  adapterName: string | null;
  onRemoveAdapter: () => void;
}

export function TopBar(props: TopBarProps) {
  return (
    <header className="top-bar">
      <div className="top-bar-controls">
        <ModelSelect models={props.models} modelId={props.modelId} onChange={props.onModel} />
        <PrecisionSelect
          plan={props.plan}
          planError={props.planError}
          precision={props.precision}
          hasModel={Boolean(props.modelId)}
          onChange={props.onPrecision}
          onMeasureQuality={props.onMeasureQuality}
        />
      </div>
      {props.adapterName && (
        <div className="top-bar-adapter" role="group" aria-label="Adapter in use">
          <span>
            Adapter: <strong>{props.adapterName}</strong>
          </span>
          <button type="button" onClick={props.onRemoveAdapter}>
            Use the model alone
          </button>
        </div>
      )}
      {props.build && props.precision && <BuildProgressBar precision={props.precision} progress={props.build} onCancel={props.onCancelBuild} onBuild={props.onBuild} />}
      {props.worker && <WorkerStatusView status={props.worker} modelName={props.workerModelName} unloading={props.unloading} onUnload={props.onUnload} />}
    </header>
  );
}
