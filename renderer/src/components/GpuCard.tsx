// One detected GPU: its memory (unknown stays "unknown", never a guess), driver and source.
import type { GpuInfo } from '../../../main/common/hardware-contract.ts';
import { formatBytes } from '../format/format-bytes.ts';

function bytesOrUnknown(bytes: number | null): string {
  return bytes === null ? 'unknown' : formatBytes(bytes);
}

export function GpuCard({ gpu }: { gpu: GpuInfo }) {
  return (
    <li className="hardware-gpu">
      <strong>{gpu.name}</strong> ({gpu.vendor})
      <dl>
        <dt>{gpu.unifiedMemory ? 'Unified memory' : 'VRAM'}</dt>
        <dd>
          {bytesOrUnknown(gpu.vramTotalBytes)} total, {bytesOrUnknown(gpu.vramFreeBytes)} free
          {gpu.usableBytes !== null ? `, ${formatBytes(gpu.usableBytes)} usable by the GPU` : ''}
        </dd>
        <dt>Driver</dt>
        <dd>{gpu.driver ?? 'unknown'}</dd>
        <dt>Source</dt>
        <dd>
          {gpu.source}
          {gpu.busId ? ` (${gpu.busId})` : ''}
        </dd>
        {gpu.note && (
          <>
            <dt>Note</dt>
            <dd>{gpu.note}</dd>
          </>
        )}
      </dl>
    </li>
  );
}
