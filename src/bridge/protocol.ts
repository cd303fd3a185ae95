/**
 * The VisionLens comm protocol, version 1 (docs/notebook-bridge.md).
 *
 * Every message is `{v: 1, type, id}` plus the fields of its type; id sets
 * travel in `buffers[0]` as little-endian int64 (sorted, unique). An answer
 * names the message it answers in `reply_to`.
 */
import { IFilter } from '../tokens';

export const PROTOCOL_VERSION = 1;
export const COMM_TARGET = 'visionlens';

/** Messages the kernel sends. */
export type KernelMessageType = 'hello' | 'select' | 'filter' | 'request';
/** Messages the frontend sends. */
export type FrontendMessageType =
  'hello' | 'selection' | 'view' | 'response' | 'error';

export interface IEnvelope {
  v: number;
  type: string;
  id?: string;
  reply_to?: string | null;
  [key: string]: unknown;
}

/** `hello` from the kernel (the comm open data). */
export interface IKernelHello extends IEnvelope {
  type: 'hello';
  session: string;
  dataset: string;
  open: boolean;
}

/** `select` from the kernel: ids in `buffers[0]`. */
export interface ISelectMessage extends IEnvelope {
  type: 'select';
  dataset: string;
  count: number;
}

/** `filter` from the kernel. */
export interface IFilterMessage extends IEnvelope {
  type: 'filter';
  dataset: string;
  filter: { [key: string]: unknown } | null;
}

/** `request` from the kernel. */
export interface IRequestMessage extends IEnvelope {
  type: 'request';
  method: 'open' | 'state';
  params?: { dataset?: string };
}

let counter = 0;

/** A new frontend message with a fresh id. */
export function frontendMessage(
  type: FrontendMessageType,
  fields: { [key: string]: unknown }
): IEnvelope {
  counter += 1;
  return { v: PROTOCOL_VERSION, type, id: `f${counter}`, ...fields };
}

/** Encode ids as little-endian int64 (sorted, unique). */
export function encodeIds(ids: Iterable<number>): {
  count: number;
  buffer: ArrayBuffer;
} {
  const sorted = Float64Array.from(new Set(ids)).sort();
  const buffer = new ArrayBuffer(sorted.length * 8);
  const view = new DataView(buffer);
  for (let i = 0; i < sorted.length; i++) {
    view.setBigInt64(i * 8, BigInt(sorted[i]), true);
  }
  return { count: sorted.length, buffer };
}

/** Decode the ids buffer of a message; throws if it does not hold `count` ids. */
export function decodeIds(
  buffers: (ArrayBuffer | ArrayBufferView)[] | undefined,
  count: number
): number[] {
  const raw = buffers?.[0];
  if (!raw) {
    if (count === 0) {
      return [];
    }
    throw new Error(`${count} ids announced but no buffer came with them`);
  }
  // Buffers may sit at any offset of the websocket frame: read through a
  // DataView instead of an (alignment-sensitive) BigInt64Array.
  const view =
    raw instanceof ArrayBuffer
      ? new DataView(raw)
      : new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  if (view.byteLength % 8 !== 0) {
    throw new Error('the ids buffer is not a whole number of int64 values');
  }
  const n = view.byteLength / 8;
  if (n !== count) {
    throw new Error(`${count} ids announced, ${n} received`);
  }
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    out[i] = Number(view.getBigInt64(i * 8, true));
  }
  return out;
}

/** The filter JSON as the model holds it (`labels` always a list). */
export function toModelFilter(
  filter: { [key: string]: unknown } | null | undefined
): IFilter {
  if (!filter || typeof filter !== 'object') {
    return {};
  }
  const out = { ...filter } as { [key: string]: unknown };
  if (out.labels && !Array.isArray(out.labels)) {
    out.labels = [out.labels];
  }
  return out as IFilter;
}

/** Check the envelope of a kernel message; returns an error text or null. */
export function checkEnvelope(data: unknown): string | null {
  if (!data || typeof data !== 'object') {
    return 'a message must be a JSON object';
  }
  const msg = data as IEnvelope;
  if (msg.v !== PROTOCOL_VERSION) {
    return (
      `protocol version ${JSON.stringify(msg.v)} is not supported (this ` +
      `JupyterLab speaks ${PROTOCOL_VERSION}); update visionlens_jlab so the ` +
      'kernel and JupyterLab match'
    );
  }
  if (!['hello', 'select', 'filter', 'request'].includes(msg.type)) {
    return `unknown message type ${JSON.stringify(msg.type)}`;
  }
  return null;
}
