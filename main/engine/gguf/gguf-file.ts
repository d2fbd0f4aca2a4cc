// Reads a GGUF file (versions 2 and 3), the format llama.cpp and the tools around it store models
// in: a header ("GGUF", version, tensor and metadata counts), typed metadata (numbers, strings,
// booleans and arrays of them), one info per tensor (name, dims with ne0 first, ggml type, offset),
// then the tensor data, starting at the first multiple of general.alignment (default 32) after
// the infos. The header is read through a file handle a chunk at a time and the data one tensor
// at a time by offset, so a file of many gigabytes is never loaded whole. Every count read from
// the file is checked against the bytes that remain before anything is allocated for it.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { CheckpointError } from '../checkpoint/checkpoint-error.ts';
import { GGML_TYPES, ggmlByteLength, isKnownGgmlType, type GgmlType } from './ggml-type.ts';

/** "GGUF" as the first four bytes of the file. */
const MAGIC = 'GGUF';
const SUPPORTED_VERSIONS = [2, 3];
export const DEFAULT_ALIGNMENT = 32;
/** ggml's GGML_MAX_DIMS. */
const MAX_DIMS = 4;
/** Header bytes read per refill; the header of a large vocabulary is a few megabytes. */
const CHUNK_BYTES = 1 << 20;

/** A GGUF file that cannot be read, named with what is wrong with it and what to do. */
export class GgufError extends CheckpointError {
  constructor(file: string, problem: string, options?: { cause?: unknown }) {
    super(file, `${file}: ${problem}`, options);
    this.name = 'GgufError';
  }
}

/** GGUF's metadata value types (gguf.h, enum gguf_type). */
export const GgufValueType = {
  UINT8: 0,
  INT8: 1,
  UINT16: 2,
  INT16: 3,
  UINT32: 4,
  INT32: 5,
  FLOAT32: 6,
  BOOL: 7,
  STRING: 8,
  ARRAY: 9,
  UINT64: 10,
  INT64: 11,
  FLOAT64: 12,
} as const;
type GgufValueTypeNumber = (typeof GgufValueType)[keyof typeof GgufValueType];

const FIXED_SIZES: Partial<Record<number, number>> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };

/** A metadata value: 64-bit integers beyond 2^53 stay bigint; arrays hold their elements in order. */
export type GgufValue = number | bigint | boolean | string | GgufValue[];

export interface GgufTensorInfo {
  name: string;
  /** ggml's ne: ne[0] (the row length) first. The [out, in] matrix of a Linear layer is ne = [in, out]. */
  dims: number[];
  type: GgmlType;
  /** Elements in the tensor. */
  values: number;
  /** Absolute byte offset of the tensor's data in the file. */
  offset: number;
  byteLength: number;
}

export interface GgufHeader {
  path: string;
  version: number;
  fileBytes: number;
  alignment: number;
  /** Where the tensor data starts; the header (metadata and tensor infos) is the bytes before it. */
  dataOffset: number;
  metadata: ReadonlyMap<string, GgufValue>;
  /** In the file's order. */
  tensors: ReadonlyMap<string, GgufTensorInfo>;
}

export interface GgufFile extends GgufHeader {
  /** The stored bytes of one tensor, as its ggml type lays them out. */
  readTensorBytes(name: string): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** Opens a GGUF file: reads and checks its header, and keeps a handle for reading tensors. */
export async function openGgufFile(path: string): Promise<GgufFile> {
  const header = readGgufHeader(path);
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw new GgufError(path, `cannot be opened (${(error as Error).message}).`, { cause: error });
  }
  return {
    ...header,
    async readTensorBytes(name) {
      const info = header.tensors.get(name);
      if (!info) throw new GgufError(path, `has no tensor "${name}".`);
      const bytes = new Uint8Array(info.byteLength);
      let done = 0;
      while (done < bytes.length) {
        const { bytesRead } = await handle.read(bytes, done, bytes.length - done, info.offset + done);
        if (bytesRead === 0) throw new GgufError(path, `ended while reading tensor "${name}": the file was cut short or changed since it was opened. Download it again.`);
        done += bytesRead;
      }
      return bytes;
    },
    close: () => handle.close(),
  };
}

/** Reads and checks the header of a GGUF file: metadata, tensor infos, alignment and data offset. */
export function readGgufHeader(path: string): GgufHeader {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    throw new GgufError(path, `cannot be opened (${(error as Error).message}).`, { cause: error });
  }
  try {
    return parseHeader(path, new HeaderReader(path, fd, fstatSync(fd).size));
  } finally {
    closeSync(fd);
  }
}

function parseHeader(path: string, r: HeaderReader): GgufHeader {
  if (r.fileBytes < 4) throw new GgufError(path, `is ${r.fileBytes} bytes long, too short to be a GGUF file. Download it again.`);
  const magic = r.bytes(4);
  if (String.fromCharCode(...magic) !== MAGIC) {
    const shown = [...magic].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`)).join('');
    throw new GgufError(path, `is not a GGUF file: it starts with "${shown}", not "${MAGIC}". Give a .gguf model file as llama.cpp writes it.`);
  }
  const version = r.u32();
  const swapped = ((version & 0xff) << 24) | ((version & 0xff00) << 8) | ((version >>> 8) & 0xff00) | (version >>> 24);
  if (!SUPPORTED_VERSIONS.includes(version) && SUPPORTED_VERSIONS.includes(swapped)) {
    throw new GgufError(path, `is a big-endian GGUF file (version ${swapped}), made for big-endian machines; Hearth reads little-endian GGUF, as llama.cpp writes it by default. Use the little-endian file.`);
  }
  if (!SUPPORTED_VERSIONS.includes(version)) {
    const hint = version === 1 ? 'GGUF version 1 is an early format that llama.cpp no longer reads: convert the model again with a current llama.cpp.' : 'It may be damaged, or from a newer llama.cpp than Hearth knows.';
    throw new GgufError(path, `is GGUF version ${version}; Hearth reads versions ${SUPPORTED_VERSIONS.join(' and ')}. ${hint}`);
  }
  const tensorCount = r.count(() => 'tensor count', 8 + 4 + 8 + 4 + 8);
  const kvCount = r.count(() => 'metadata count', 8 + 4);

  const metadata = new Map<string, GgufValue>();
  for (let i = 0; i < kvCount; i++) {
    const key = r.string(() => `metadata key ${i}`);
    const type = r.u32();
    if (metadata.has(key)) throw new GgufError(path, `has the metadata key "${key}" twice. The file is damaged: download it again.`);
    metadata.set(key, r.value(type, key));
  }

  const alignment = readAlignment(path, metadata.get('general.alignment'));
  const infos: { name: string; dims: number[]; typeNumber: number; relativeOffset: number }[] = [];
  for (let i = 0; i < tensorCount; i++) {
    const name = r.string(() => `tensor name ${i}`);
    const nDims = r.u32();
    if (nDims < 1 || nDims > MAX_DIMS) throw new GgufError(path, `tensor "${name}" has ${nDims} dimensions; ggml tensors have 1 to ${MAX_DIMS}. The file is damaged.`);
    const dims: number[] = [];
    for (let d = 0; d < nDims; d++) dims.push(r.safeU64(`dimension ${d} of tensor "${name}"`));
    const typeNumber = r.u32();
    const relativeOffset = r.safeU64(`offset of tensor "${name}"`);
    infos.push({ name, dims, typeNumber, relativeOffset });
  }
  const dataOffset = Math.ceil(r.position / alignment) * alignment;

  const tensors = new Map<string, GgufTensorInfo>();
  for (const { name, dims, typeNumber, relativeOffset } of infos) {
    if (tensors.has(name)) throw new GgufError(path, `has two tensors named "${name}". The file is damaged: download it again.`);
    if (!isKnownGgmlType(typeNumber)) {
      const known = Object.entries(GGML_TYPES).map(([n, t]) => `${t.name} (${n})`).join(', ');
      throw new GgufError(path, `tensor "${name}" has ggml type ${typeNumber}, which Hearth cannot read (it reads ${known}). Use a file quantized to one of those types.`);
    }
    const type = typeNumber;
    const values = dims.reduce((a, b) => a * b, 1);
    if (!Number.isSafeInteger(values)) throw new GgufError(path, `tensor "${name}" claims ${dims.join('×')} values, more than any file holds. The file is damaged.`);
    const { name: typeName, blockValues } = GGML_TYPES[type];
    if (dims[0]! % blockValues !== 0) {
      throw new GgufError(path, `tensor "${name}" (${typeName}) has rows of ${dims[0]} values, not whole blocks of ${blockValues}. The file is damaged.`);
    }
    const byteLength = ggmlByteLength(type, values);
    if (relativeOffset % alignment !== 0) {
      throw new GgufError(path, `tensor "${name}" starts at data offset ${relativeOffset}, which is not a multiple of the alignment ${alignment}. The file is damaged.`);
    }
    const offset = dataOffset + relativeOffset;
    if (offset + byteLength > r.fileBytes) {
      throw new GgufError(
        path,
        `tensor "${name}" (${typeName}, ${byteLength} bytes at byte ${offset}) runs past the end of the file (${r.fileBytes} bytes). The file is truncated: download it again.`,
      );
    }
    tensors.set(name, { name, dims, type, values, offset, byteLength });
  }
  return { path, version, fileBytes: r.fileBytes, alignment, dataOffset, metadata, tensors };
}

function readAlignment(path: string, value: GgufValue | undefined): number {
  if (value === undefined) return DEFAULT_ALIGNMENT;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || (value & (value - 1)) !== 0 || value > 1 << 20) {
    throw new GgufError(path, `general.alignment is ${String(value)}; it must be a power of two (llama.cpp writes 32). The file is damaged.`);
  }
  return value;
}

/** Reads the header front to back through a buffer refilled from the file; every read is bounds-checked. */
class HeaderReader {
  private buffer = Buffer.alloc(0);
  private view = new DataView(this.buffer.buffer, this.buffer.byteOffset, this.buffer.byteLength);
  /** File offset of buffer[0]. */
  private bufferStart = 0;
  /** File offset of the next byte to read. */
  position = 0;

  constructor(
    private readonly path: string,
    private readonly fd: number,
    readonly fileBytes: number,
  ) {}

  private get remaining(): number {
    return this.fileBytes - this.position;
  }

  /** Makes the next `n` bytes available at `this.position - this.bufferStart`. */
  private need(n: number): number {
    if (n > this.remaining) {
      throw new GgufError(this.path, `ends at byte ${this.fileBytes} inside its header (reading ${n} bytes at byte ${this.position}). The file is truncated: download it again.`);
    }
    const at = this.position - this.bufferStart;
    if (at + n <= this.buffer.length) return at;
    const size = Math.min(Math.max(n, CHUNK_BYTES), this.remaining);
    this.buffer = Buffer.allocUnsafe(size);
    let done = 0;
    while (done < size) {
      const read = readSync(this.fd, this.buffer, done, size - done, this.position + done);
      if (read === 0) throw new GgufError(this.path, `ended while its header was read (at byte ${this.position + done}). The file is truncated or changed while being read.`);
      done += read;
    }
    this.view = new DataView(this.buffer.buffer, this.buffer.byteOffset, this.buffer.byteLength);
    this.bufferStart = this.position;
    return 0;
  }

  bytes(n: number): Uint8Array {
    const at = this.need(n);
    this.position += n;
    return this.buffer.subarray(at, at + n);
  }

  u32(): number {
    const at = this.need(4);
    this.position += 4;
    return this.view.getUint32(at, true);
  }

  private u64(): bigint {
    const at = this.need(8);
    this.position += 8;
    return this.view.getBigUint64(at, true);
  }

  /** A u64 that must fit a JavaScript number (sizes, dims, offsets). */
  safeU64(what: string): number {
    const value = this.u64();
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new GgufError(this.path, `${what} is ${value}, larger than any real file allows. The file is damaged.`);
    return Number(value);
  }

  /**
   * A count of items each at least `minItemBytes` long: refused when the rest of the file cannot
   * hold them. `what` names it in the error (a function: a vocabulary reads this once per token).
   */
  count(what: () => string, minItemBytes: number): number {
    const value = this.u64();
    if (value > BigInt(Math.floor(this.remaining / minItemBytes))) {
      throw new GgufError(this.path, `its ${what()} is ${value}, more than the ${this.remaining} bytes left in the file can hold. The file is damaged or truncated: download it again.`);
    }
    return Number(value);
  }

  string(what: () => string): string {
    const length = this.count(() => `${what()}'s length`, 1);
    const at = this.need(length);
    this.position += length;
    // Buffer's UTF-8 decoding (invalid bytes become U+FFFD) is several times faster than TextDecoder on short strings.
    return this.buffer.toString('utf8', at, at + length);
  }

  value(type: number, key: string): GgufValue {
    if (type === GgufValueType.STRING) return this.string(() => `the value of "${key}"`);
    if (type === GgufValueType.ARRAY) return this.array(key);
    const size = FIXED_SIZES[type];
    if (size === undefined) throw new GgufError(this.path, `metadata "${key}" has unknown value type ${type}. The file is damaged, or from a newer llama.cpp than Hearth knows.`);
    // The offset first, then the view: need() may refill the buffer and replace the view.
    const at = this.need(size);
    this.position += size;
    const view = this.view;
    switch (type as GgufValueTypeNumber) {
      case GgufValueType.UINT8:
        return view.getUint8(at);
      case GgufValueType.INT8:
        return view.getInt8(at);
      case GgufValueType.UINT16:
        return view.getUint16(at, true);
      case GgufValueType.INT16:
        return view.getInt16(at, true);
      case GgufValueType.UINT32:
        return view.getUint32(at, true);
      case GgufValueType.INT32:
        return view.getInt32(at, true);
      case GgufValueType.FLOAT32:
        return view.getFloat32(at, true);
      case GgufValueType.BOOL:
        return view.getUint8(at) !== 0;
      case GgufValueType.UINT64:
        return narrow(view.getBigUint64(at, true));
      case GgufValueType.INT64:
        return narrow(view.getBigInt64(at, true));
      default:
        return view.getFloat64(at, true);
    }
  }

  private array(key: string): GgufValue[] {
    const elementType = this.u32();
    if (elementType === GgufValueType.ARRAY) throw new GgufError(this.path, `metadata "${key}" is an array of arrays, which GGUF does not allow. The file is damaged.`);
    if (elementType !== GgufValueType.STRING && FIXED_SIZES[elementType] === undefined) {
      throw new GgufError(this.path, `metadata "${key}" is an array of unknown value type ${elementType}. The file is damaged.`);
    }
    const length = this.count(() => `"${key}" array length`, FIXED_SIZES[elementType] ?? 8);
    const values: GgufValue[] = new Array<GgufValue>(length);
    for (let i = 0; i < length; i++) values[i] = this.value(elementType, key);
    return values;
  }
}

function narrow(value: bigint): number | bigint {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

/** The header's bytes (metadata and tensor infos, up to the data): what identifies the model a file holds, short of its weights. */
export async function readGgufHeaderBytes(path: string): Promise<Uint8Array> {
  const { dataOffset } = readGgufHeader(path);
  const handle = await open(path, 'r');
  try {
    const bytes = new Uint8Array(dataOffset);
    const { bytesRead } = await handle.read(bytes, 0, dataOffset, 0);
    return bytes.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}
