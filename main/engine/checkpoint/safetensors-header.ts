// Parses and checks the header of one .safetensors file: an 8-byte little-endian length N, then
// N bytes of JSON {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {...}},
// then the data. Every claim the header makes is checked against the file size before any data
// is read, so a truncated or lying file fails here with a precise message, not later as garbage.
import type { SafetensorsDtype, TensorInfo } from './checkpoint.ts';
import { CheckpointError } from './checkpoint-error.ts';
import { DTYPE_BYTES, isSafetensorsDtype } from './safetensors-dtype.ts';

/** The reference implementation refuses headers above 100 MB; a bigger one is corrupt. */
const MAX_HEADER_BYTES = 100_000_000;

export interface SafetensorsHeader {
  tensors: Map<string, TensorInfo>;
  metadata: Record<string, string>;
  /** Where the data section starts (8 + N). */
  dataStart: number;
}

/** Reads N from the first 8 bytes and checks it fits the file. */
export function parseHeaderLength(file: string, prefix: Uint8Array, fileSize: number): number {
  const fix = 'The file is incomplete or not a safetensors file: download or export it again.';
  if (fileSize < 8) {
    throw new CheckpointError(file, `${file} is truncated: ${fileSize} bytes, too short for the 8-byte safetensors header length. ${fix}`);
  }
  const length = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (length > BigInt(fileSize - 8)) {
    throw new CheckpointError(
      file,
      `${file} is truncated or corrupt: its header claims ${length} bytes but the file has only ${fileSize - 8} bytes after the length field. ${fix}`,
    );
  }
  if (length > BigInt(MAX_HEADER_BYTES)) {
    throw new CheckpointError(file, `${file} has a ${length}-byte header, more than the ${MAX_HEADER_BYTES} bytes safetensors allows. ${fix}`);
  }
  return Number(length);
}

export function parseHeaderJson(file: string, headerBytes: Uint8Array, fileSize: number): SafetensorsHeader {
  const dataStart = 8 + headerBytes.length;
  const lies = (problem: string): CheckpointError =>
    new CheckpointError(file, `${file} has an invalid safetensors header: ${problem}. The file is corrupt: download or export it again.`);

  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes));
  } catch (error) {
    throw new CheckpointError(
      file,
      `${file} has a safetensors header that is not valid JSON (${(error as Error).message}). The file is corrupt or not a safetensors file: download or export it again.`,
      { cause: error },
    );
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw lies('the header is not a JSON object');

  const tensors = new Map<string, TensorInfo>();
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw lies('"__metadata__" is not an object');
      metadata = Object.fromEntries(Object.entries(entry).map(([k, v]) => [k, String(v)]));
      continue;
    }
    tensors.set(name, parseTensorEntry(file, name, entry, dataStart, lies));
  }
  // Past the end first: a tensor there is the more telling problem than the gap before it.
  const dataLength = fileSize - dataStart;
  for (const info of tensors.values()) {
    if (info.offset + info.byteLength > fileSize) {
      throw new CheckpointError(
        file,
        `${file} is truncated: tensor "${info.name}" ends at data byte ${info.offset + info.byteLength - dataStart} but the data section has only ${dataLength} bytes. Download or export the file again.`,
      );
    }
  }
  checkNoOverlap(tensors, dataStart, lies);
  return { tensors, metadata, dataStart };
}

function parseTensorEntry(
  file: string,
  name: string,
  entry: unknown,
  dataStart: number,
  lies: (problem: string) => CheckpointError,
): TensorInfo {
  if (typeof entry !== 'object' || entry === null) throw lies(`tensor "${name}" is not an object`);
  const { dtype, shape, data_offsets: offsets } = entry as Record<string, unknown>;
  if (!isSafetensorsDtype(dtype)) {
    throw new CheckpointError(
      file,
      `${file}: tensor "${name}" has dtype ${JSON.stringify(dtype)}, which Hearth cannot read (supported: ${Object.keys(DTYPE_BYTES).join(', ')}). Convert the model to float16, bfloat16 or float32 safetensors.`,
    );
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw lies(`tensor "${name}" has shape ${JSON.stringify(shape)}, not a list of non-negative integers`);
  }
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) ||
    offsets[1] < offsets[0]
  ) {
    throw lies(`tensor "${name}" has data_offsets ${JSON.stringify(offsets)}, not [begin, end] with 0 <= begin <= end`);
  }
  const elements = (shape as number[]).reduce((a, b) => a * b, 1);
  const expectedBytes = elements * DTYPE_BYTES[dtype as SafetensorsDtype];
  const byteLength = offsets[1] - offsets[0];
  if (byteLength !== expectedBytes) {
    throw lies(`tensor "${name}" (${dtype}, shape [${shape.join(', ')}]) needs ${expectedBytes} bytes but its data_offsets span ${byteLength}`);
  }
  return { name, dtype, shape: [...(shape as number[])], file, offset: dataStart + offsets[0], byteLength };
}

/** Tensors must tile the data section: sorted by offset, each starts where the previous ended. */
function checkNoOverlap(tensors: Map<string, TensorInfo>, dataStart: number, lies: (problem: string) => CheckpointError): void {
  const sorted = [...tensors.values()].sort((a, b) => a.offset - b.offset || a.byteLength - b.byteLength);
  for (let i = 1; i < sorted.length; i++) {
    const previous = sorted[i - 1];
    const current = sorted[i];
    if (current.offset < previous.offset + previous.byteLength) {
      throw lies(`the data of tensors "${previous.name}" and "${current.name}" overlap`);
    }
    if (current.offset > previous.offset + previous.byteLength) {
      throw lies(`there is a gap of ${current.offset - previous.offset - previous.byteLength} bytes between tensors "${previous.name}" and "${current.name}"`);
    }
  }
  if (sorted.length > 0 && sorted[0].offset !== dataStart) {
    throw lies(`the first tensor, "${sorted[0].name}", starts at data byte ${sorted[0].offset - dataStart} instead of 0`);
  }
}
