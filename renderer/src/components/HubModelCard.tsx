// One model of a Hub search: its downloads and likes, then (once its details came) what this
// machine makes of it: the size per precision and the fit badge from the memory planner, as the
// Quantization dropdown shows them, or its GGUF files to pick one quantization, or why it cannot
// be used; a gated repo asks for a token and says where to accept its licence. "Download" starts
// the download, whose progress shows in the card.
import { useCallback, useEffect, useState } from 'react';
import type { Download, HubModelCard as Card, HubModelInfo, StartDownloadInput } from '../../../main/common/contracts/hub.ts';
import { precisionOptionName } from '../../../main/common/precision-plan-contract.ts';
import type { ApiClient } from '../api/api-client.ts';
import { errorMessage } from '../api/api-client.ts';
import { formatBytes, formatCount } from '../format/format-bytes.ts';
import { FIT_BADGE_TEXT } from '../format/precision-option-label.ts';
import { DownloadRow, type DownloadActions } from './DownloadRow.tsx';
import { HubTokenForm } from './HubTokenForm.tsx';

export interface HubModelCardProps {
  client: ApiClient;
  card: Card;
  /** The downloads of this repo (most recent first). */
  downloads: Download[];
  onDownload: (input: StartDownloadInput) => void;
  actions: DownloadActions;
  /**
   * Read its details (config.json, file list: a few requests to the Hub) as soon as the card
   * shows; otherwise when asked, so a search does not send dozens of requests at once.
   */
  autoLoad: boolean;
  /** A token was saved from this card: the page's Hub settings show it (masked). */
  onTokenSaved: () => void;
}

export function HubModelCard({ client, card, downloads, onDownload, actions, autoLoad, onTokenSaved }: HubModelCardProps) {
  const [info, setInfo] = useState<HubModelInfo | null>(null);
  const [infoError, setInfoError] = useState<string | null>(null);
  const [ggufFile, setGgufFile] = useState<string>('');
  const [wanted, setWanted] = useState(autoLoad);

  const loadInfo = useCallback(async () => {
    setInfoError(null);
    try {
      const loaded = await client.call('hub.modelInfo', { repo: card.repo });
      setInfo(loaded);
      setGgufFile((current) => current || (loaded.ggufFiles.find((f) => f.fit !== 'does-not-fit') ?? loaded.ggufFiles[0])?.path || '');
    } catch (e) {
      setInfoError(errorMessage(e));
    }
  }, [client, card.repo]);

  useEffect(() => {
    if (wanted) void loadInfo();
  }, [loadInfo, wanted]);

  const active = downloads.find((d) => d.state !== 'cancelled' && (info?.kind !== 'gguf' || d.file === ggufFile));
  const busy = active !== undefined && active.state !== 'completed';

  return (
    <li className="hub-card" aria-label={card.repo}>
      <div className="hub-card-head">
        <h3>{card.repo}</h3>
        <span className="muted">
          {card.downloads === null ? '' : `${formatCount(card.downloads)} downloads`}
          {card.likes === null ? '' : ` · ${formatCount(card.likes)} likes`}
        </span>
        {(card.gated || info?.gated) && <span className="hub-badge">gated</span>}
      </div>
      {!wanted && (
        <button type="button" onClick={() => setWanted(true)}>
          Sizes and download
        </button>
      )}
      {wanted && !info && !infoError && <p className="muted">Reading its config…</p>}
      {infoError && (
        <p className="error-box" role="alert">
          {infoError}
        </p>
      )}
      {info && <ModelDetails info={info} ggufFile={ggufFile} onGgufFile={setGgufFile} />}
      {info?.kind === 'needs-token' && (
        <HubTokenForm client={client} licenceUrl={info.licenceUrl} message={info.unusableReason} onSaved={() => {
            onTokenSaved();
            void loadInfo();
          }}
        />
      )}
      {info && (info.kind === 'safetensors' || info.kind === 'gguf') && (
        <button
          type="button"
          disabled={busy || (info.kind === 'gguf' && !ggufFile)}
          onClick={() => onDownload({ repo: card.repo, revision: info.commit, ...(info.kind === 'gguf' ? { file: ggufFile } : {}) })}
        >
          Download {downloadSize(info, ggufFile)}
        </button>
      )}
      {active && (
        <ul className="download-list">
          <DownloadRow download={active} actions={actions} />
        </ul>
      )}
    </li>
  );
}

function downloadSize(info: HubModelInfo, ggufFile: string): string {
  const bytes = info.kind === 'gguf' ? info.ggufFiles.find((f) => f.path === ggufFile)?.sizeBytes : info.totalBytes;
  return bytes === undefined ? '' : `(${formatBytes(bytes)})`;
}

function ModelDetails({ info, ggufFile, onGgufFile }: { info: HubModelInfo; ggufFile: string; onGgufFile: (file: string) => void }) {
  if (info.kind === 'unusable') return <p className="muted">{info.unusableReason}</p>;
  if (info.kind === 'needs-token') return null;
  if (info.kind === 'gguf') {
    return (
      <label className="hub-gguf-pick">
        <span>Quantization</span>
        <select aria-label={`Quantization of ${info.repo}`} value={ggufFile} onChange={(e) => onGgufFile(e.target.value)}>
          {info.ggufFiles.map((f) => (
            <option key={f.path} value={f.path}>
              {f.quantization ?? f.path} — {formatBytes(f.sizeBytes)} — {FIT_BADGE_TEXT[f.fit]}
            </option>
          ))}
        </select>
      </label>
    );
  }
  return (
    <>
      {info.model && (
        <p className="muted">
          {info.model.architecture}, {formatCount(info.model.parameters)} parameters, {info.model.contextLength} tokens of context
        </p>
      )}
      {info.plan ? (
        <ul className="hub-sizes" aria-label={`Size per precision of ${info.repo}`}>
          {info.plan.options.map((option) => (
            <li key={option.precision} className={`fit-${option.fit}`}>
              {precisionOptionName(option)}: {formatBytes(option.weightBytes)} ({formatBytes(option.memoryBytes)} in memory) — {FIT_BADGE_TEXT[option.fit]}
              {info.plan!.recommended?.precision === option.precision ? ' (recommended)' : ''}
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted">Sizes unknown: {info.planError}</p>
      )}
      {info.skipped.length > 0 && <p className="muted">Left on the Hub: {info.skipped.map((s) => `${s.path} (${s.reason})`).join('; ')}</p>}
    </>
  );
}
