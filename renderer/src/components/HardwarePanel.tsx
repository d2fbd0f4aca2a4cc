// What Hearth found on this machine: GPUs and their memory, the CPU, RAM, whether WebGPU starts
// (with onnxruntime's own error when it does not), and anything that went wrong while looking.
import { useCallback, useEffect, useState } from 'react';
import type { HardwareSummary } from '../../../main/common/hardware-contract.ts';
import type { ApiClient } from '../api/api-client.ts';
import { errorMessage } from '../api/api-client.ts';
import { formatBytes } from '../format/format-bytes.ts';
import { GpuCard } from './GpuCard.tsx';
import './HardwarePanel.css';

export function HardwarePanel({ client }: { client: ApiClient }) {
  const [hardware, setHardware] = useState<HardwareSummary | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(() => {
    setError(null);
    client
      .call('hardware.get', {})
      .then(setHardware)
      .catch((e: unknown) => setError(errorMessage(e)));
  }, [client]);
  useEffect(load, [load]);

  return (
    <section className="hardware" aria-labelledby="hardware-title">
      <h2 id="hardware-title">Hardware</h2>
      <button type="button" onClick={load}>
        Detect again
      </button>
      {error && (
        <p className="error-box" role="alert">
          {error}
        </p>
      )}
      {!hardware && !error && <p className="muted">Detecting…</p>}
      {hardware && (
        <>
          <h3>GPUs</h3>
          {hardware.gpus.length === 0 ? <p>No GPU found.</p> : <ul className="hardware-gpus">{hardware.gpus.map((g, i) => <GpuCard key={g.busId ?? i} gpu={g} />)}</ul>}
          <h3>WebGPU</h3>
          <p>{hardware.webgpu.available ? 'onnxruntime’s WebGPU provider starts.' : `onnxruntime’s WebGPU provider does not start: ${hardware.webgpu.error ?? 'no error was reported.'}`}</p>
          <h3>CPU and memory</h3>
          <dl>
            <dt>CPU</dt>
            <dd>
              {hardware.cpu.model}: {hardware.cpu.logicalCores} logical cores
              {hardware.cpu.physicalCores !== null ? `, ${hardware.cpu.physicalCores} physical` : ''}
            </dd>
            <dt>CPU features</dt>
            <dd>{hardware.cpu.features.length ? hardware.cpu.features.join(', ') : 'none detected'}</dd>
            <dt>RAM</dt>
            <dd>
              {formatBytes(hardware.ramTotalBytes)} total, {formatBytes(hardware.ramFreeBytes)} available
            </dd>
            <dt>Platform</dt>
            <dd>
              {hardware.platform} {hardware.arch}
            </dd>
          </dl>
          {hardware.warnings.length > 0 && (
            <>
              <h3>Warnings</h3>
              <ul className="hardware-warnings">
                {hardware.warnings.map((w, i) => (
                  <li key={i}>{w}</li>
                ))}
              </ul>
            </>
          )}
          <h3>Where Hearth looked</h3>
          <ul className="hardware-searched">
            {hardware.searched.map((s, i) => (
              <li key={i}>{s}</li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
