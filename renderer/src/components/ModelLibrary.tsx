// The model library: every model with its architecture, size, built variants and the builds in
// progress (step, bytes, time left, Cancel); import a local
// Hugging Face folder or GGUF file by its path (typed, or chosen in the system's dialog in the
// desktop app; a GGUF file is read where it is, or copied into Hearth's data folder when asked);
// delete a model (not the bundled demo) after a confirmation.
import { useState } from 'react';
import type { ModelSummary, ModelVariant } from '../../../main/common/contracts/models.ts';
import { PRECISIONS, type Precision } from '../../../main/common/model-manifest.ts';
import type { ApiClient } from '../api/api-client.ts';
import { errorMessage } from '../api/api-client.ts';
import { formatBytes, formatCount } from '../format/format-bytes.ts';
import { buildKey, type BuildMap } from '../state/build-progress.ts';
import { unfinishedDownloads } from '../state/download-list.ts';
import type { DownloadsState } from '../state/use-downloads.ts';
import { DownloadRow } from './DownloadRow.tsx';
import { BuildProgressBar } from './BuildProgressBar.tsx';
import { PathPickButton } from './PathPickButton.tsx';
import './ModelLibrary.css';

export interface ModelLibraryProps {
  client: ApiClient;
  models: ModelSummary[];
  /** The variant builds this window follows, from model.build events. */
  builds: BuildMap;
  onCancelBuild: (modelId: string, precision: Precision) => void;
  onChanged: () => void;
  /** Downloads from the Hub: those under way or resumable show here too, with their progress. */
  downloads?: DownloadsState;
  onChat?: (modelId: string) => void;
}

/** The model's variants in words, a variant being built shown as its progress (with Cancel) instead. */
function VariantsCell({ model, builds, onCancelBuild }: { model: ModelSummary; builds: BuildMap; onCancelBuild: (precision: Precision) => void }) {
  const building = PRECISIONS.filter((p) => builds[buildKey(model.id, p)]?.state === 'building');
  const listed = model.variants.filter((v) => !(v.status === 'building' && building.includes(v.precision)));
  return (
    <>
      {listed.length > 0 ? listed.map((v) => variantText(model, v)).join('; ') : building.length === 0 && 'none yet'}
      {building.map((p) => (
        <BuildProgressBar key={p} precision={p} progress={builds[buildKey(model.id, p)]} onCancel={() => onCancelBuild(p)} />
      ))}
    </>
  );
}

/** A GGUF model's fp32 variant is the file as downloaded (see main/services/variant-builds.ts). */
function variantText(m: ModelSummary, v: ModelVariant): string {
  const name = m.gguf && v.precision === 'fp32' ? `${m.gguf.fileType} (as downloaded)` : `${v.precision}/${v.attention}`;
  const size = v.weightBytes === null ? '' : `, ${formatBytes(v.weightBytes)}`;
  const measured = v.measuredPeakBytes === null ? '' : `, peak ${formatBytes(v.measuredPeakBytes)}`;
  const state = v.status === 'ready' ? '' : ` (${v.status}${v.error ? `: ${v.error}` : ''})`;
  return `${name}${size}${measured}${state}`;
}

export function ModelLibrary({ client, models, builds, onCancelBuild, onChanged, downloads, onChat }: ModelLibraryProps) {
  const [path, setPath] = useState('');
  const [name, setName] = useState('');
  const [copy, setCopy] = useState(false);
  const [importing, setImporting] = useState(false);
  const [importError, setImportError] = useState<string | null>(null);
  const [imported, setImported] = useState<string | null>(null);
  const [confirmDelete, setConfirmDelete] = useState<string | null>(null);
  const [deleteError, setDeleteError] = useState<string | null>(null);

  const importModel = async () => {
    setImporting(true);
    setImportError(null);
    setImported(null);
    try {
      const model = await client.call('models.import', { path: path.trim(), ...(name.trim() ? { name: name.trim() } : {}), ...(copy ? { copy } : {}) });
      setImported(`Imported ${model.name}${model.gguf ? ` (GGUF ${model.gguf.fileType}${model.gguf.copied ? ', copied into Hearth\'s data folder' : ''})` : ''}.`);
      setPath('');
      setName('');
      setCopy(false);
      onChanged();
    } catch (e) {
      setImportError(errorMessage(e));
    } finally {
      setImporting(false);
    }
  };

  const deleteModel = async (modelId: string) => {
    setDeleteError(null);
    try {
      await client.call('models.delete', { modelId });
      setConfirmDelete(null);
      onChanged();
    } catch (e) {
      setDeleteError(errorMessage(e));
    }
  };

  return (
    <section className="model-library" aria-labelledby="model-library-title">
      <h2 id="model-library-title">Models</h2>
      <form
        className="model-import"
        aria-label="Import a model"
        onSubmit={(e) => {
          e.preventDefault();
          if (path.trim()) void importModel();
        }}
      >
        <label>
          <span>Model folder or .gguf file</span>
          <input value={path} placeholder="/path/to/a/hugging-face/model-folder or /path/to/model.gguf" onChange={(e) => setPath(e.target.value)} />
        </label>
        <PathPickButton
          client={client}
          request={{ kind: 'folder', title: 'Choose a Hugging Face model folder' }}
          label="Choose the model folder"
          disabled={importing}
          onPicked={(picked) => {
            setPath(picked);
            setImportError(null);
          }}
          onError={(e) => setImportError(errorMessage(e))}
        />
        <PathPickButton
          client={client}
          request={{ kind: 'file', title: 'Choose a GGUF model file', filters: [{ name: 'GGUF models', extensions: ['gguf'] }] }}
          label="Choose a .gguf file"
          disabled={importing}
          onPicked={(picked) => {
            setPath(picked);
            setImportError(null);
          }}
          onError={(e) => setImportError(errorMessage(e))}
        />
        <label>
          <span>Name (optional)</span>
          <input value={name} maxLength={200} onChange={(e) => setName(e.target.value)} />
        </label>
        <label className="model-import-copy">
          <input type="checkbox" checked={copy} onChange={(e) => setCopy(e.target.checked)} />
          <span>Copy a .gguf file into Hearth's data folder</span>
        </label>
        <button type="submit" disabled={importing || !path.trim()}>
          {importing ? 'Importing…' : 'Import'}
        </button>
      </form>
      <p className="muted model-import-hint">
        A folder with config.json, the weights (*.safetensors) and the tokenizer (tokenizer.json), read in place; or a .gguf file as
        llama.cpp, LM Studio or Ollama keep them, read in place unless you ask for a copy (then it is deleted with the model).
        Its own quantization is offered first, as downloaded.
      </p>
      {importError && (
        <p className="error-box" role="alert">
          {importError}
        </p>
      )}
      {imported && <p role="status">{imported}</p>}
      {deleteError && (
        <p className="error-box" role="alert">
          {deleteError}
        </p>
      )}
      <table className="model-table">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Architecture</th>
            <th scope="col">Parameters</th>
            <th scope="col">Context</th>
            <th scope="col">Size on disk</th>
            <th scope="col">Built variants</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {models.map((m) => (
            <tr key={m.id}>
              <th scope="row">{m.name}</th>
              <td>{m.gguf ? `${m.architecture} (GGUF ${m.gguf.fileType})` : m.architecture}</td>
              <td>{formatCount(m.parameters)}</td>
              <td>{m.contextLength} tokens</td>
              <td>{formatBytes(m.sizeOnDiskBytes)}</td>
              <td>
                <VariantsCell model={m} builds={builds} onCancelBuild={(p) => onCancelBuild(m.id, p)} />
              </td>
              <td>
                {m.bundled ? (
                  <span className="muted">bundled</span>
                ) : confirmDelete === m.id ? (
                  <span className="model-confirm" role="group" aria-label={`Delete ${m.name}?`}>
                    <span>Delete {m.name} and its built variants?</span>
                    <button type="button" className="danger" onClick={() => void deleteModel(m.id)}>
                      Delete
                    </button>
                    <button type="button" onClick={() => setConfirmDelete(null)}>
                      Cancel
                    </button>
                  </span>
                ) : (
                  <button type="button" aria-label={`Delete ${m.name}`} onClick={() => setConfirmDelete(m.id)}>
                    Delete
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {models.length === 0 && <p className="muted">No models yet.</p>}
      {downloads && unfinishedDownloads(downloads.downloads).length > 0 && (
        <ul className="download-list" aria-label="Downloads under way">
          {unfinishedDownloads(downloads.downloads).map((d) => (
            <DownloadRow
              key={d.jobId}
              download={d}
              actions={{ pause: (id) => void downloads.pause(id), resume: (id) => void downloads.resume(id), cancel: (id) => void downloads.cancel(id), chat: onChat }}
            />
          ))}
        </ul>
      )}
    </section>
  );
}
