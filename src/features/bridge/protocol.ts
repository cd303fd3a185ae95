/**
 * The VisionLens comm protocol, version 1 (docs/notebook-bridge.md).
 *
 * Every message is `{v: 1, type, id}` plus the fields of its type; id sets
 * travel in `buffers[0]` as little-endian int64 (sorted, unique). An answer
 * names the message it answers in `reply_to`.
 *
 * The message types are described once, in
 * `visionlens_jlab/notebook/comm_messages.json`. The types below are tied at
 * compile time to `KERNEL_MESSAGES` / `FRONTEND_MESSAGES` (same types, same
 * fields, same optional fields), and a jest test checks that those equal the
 * JSON description, which the Python TypedDicts are checked against too.
 */
import { IFilter } from '../../model/tokens';

export const PROTOCOL_VERSION = 1;
export const COMM_TARGET = 'visionlens';

/** What every message carries. */
export interface IEnvelope {
  v: number;
  type: string;
  id: string;
  reply_to?: string | null;
}

// kernel → frontend

/** `hello` from the kernel: the comm open data, or the answer to a resume. */
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

/** `filter` from the kernel (null clears it). */
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

/** `error` from the kernel: a frontend message it could not apply. */
export interface IKernelError extends IEnvelope {
  type: 'error';
  message: string;
}

/** Every message a kernel sends. */
export type KernelCommMessage =
  | IKernelHello
  | ISelectMessage
  | IFilterMessage
  | IRequestMessage
  | IKernelError;

// frontend → kernel

/** `hello` from the frontend: the answer to the kernel's, or a resume. */
export interface IFrontendHello extends IEnvelope {
  type: 'hello';
  frontend?: string;
  shown?: string | null;
  resume?: boolean;
}

/** The panels' selection: `ids` (count + buffer) or `all` matching `filter`. */
export interface ISelectionMessage extends IEnvelope {
  type: 'selection';
  dataset: string | null;
  origin: 'panels';
  mode: 'ids' | 'all';
  count?: number;
  filter?: IFilter;
}

/** The dataset the panels show and its filter. */
export interface IViewMessage extends IEnvelope {
  type: 'view';
  dataset: string | null;
  filter: IFilter;
}

/** The answer to a `request`. */
export interface IResponseMessage extends IEnvelope {
  type: 'response';
  result: { [key: string]: unknown };
}

/** `error` from the frontend: a kernel message it could not apply. */
export interface IFrontendError extends IEnvelope {
  type: 'error';
  message: string;
}

/** Every message the frontend sends. */
export type FrontendCommMessage =
  | IFrontendHello
  | ISelectionMessage
  | IViewMessage
  | IResponseMessage
  | IFrontendError;

// The description, tied to the types above.

/** A JSON type of the description. */
export type JSONTypeName =
  'string' | 'integer' | 'number' | 'boolean' | 'object' | 'null';

/** The JSON type names a TypeScript field type may be described with. */
type TypeNames<V> =
  | (V extends string ? 'string' : never)
  | (V extends number ? 'integer' | 'number' : never)
  | (V extends boolean ? 'boolean' : never)
  | (V extends null ? 'null' : never)
  | (V extends object ? 'object' : never);

/** How one field is described: its JSON type(s), values, optionality. */
export type FieldSpec<V> = {
  type: TypeNames<Exclude<V, undefined>> | TypeNames<Exclude<V, undefined>>[];
  enum?: Exclude<V, undefined | null>[];
} & (undefined extends V ? { required: false } : { required?: never });

/** The fields of a message type, envelope excepted: exactly its interface's keys. */
type FieldsSpec<M> = {
  [K in Exclude<keyof M, keyof IEnvelope>]-?: FieldSpec<M[K]>;
};

/** Every message type of a sender, with its fields. */
export type MessagesSpec<U extends IEnvelope> = {
  [T in U['type']]: {
    fields: FieldsSpec<Extract<U, { type: T }>>;
    buffers?: 'ids';
  };
};

/** The envelope's fields. */
export const ENVELOPE: {
  [K in keyof IEnvelope]-?: FieldSpec<IEnvelope[K]>;
} = {
  v: { type: 'integer' },
  type: { type: 'string' },
  id: { type: 'string' },
  reply_to: { type: ['string', 'null'], required: false }
};

/** The messages a kernel sends. */
export const KERNEL_MESSAGES: MessagesSpec<KernelCommMessage> = {
  hello: {
    fields: {
      session: { type: 'string' },
      dataset: { type: 'string' },
      open: { type: 'boolean' }
    }
  },
  select: {
    fields: { dataset: { type: 'string' }, count: { type: 'integer' } },
    buffers: 'ids'
  },
  filter: {
    fields: {
      dataset: { type: 'string' },
      filter: { type: ['object', 'null'] }
    }
  },
  request: {
    fields: {
      method: { type: 'string', enum: ['open', 'state'] },
      params: { type: 'object', required: false }
    }
  },
  error: { fields: { message: { type: 'string' } } }
};

/** The messages the frontend sends. */
export const FRONTEND_MESSAGES: MessagesSpec<FrontendCommMessage> = {
  hello: {
    fields: {
      frontend: { type: 'string', required: false },
      shown: { type: ['string', 'null'], required: false },
      resume: { type: 'boolean', required: false }
    }
  },
  selection: {
    fields: {
      dataset: { type: ['string', 'null'] },
      origin: { type: 'string', enum: ['panels'] },
      mode: { type: 'string', enum: ['ids', 'all'] },
      count: { type: 'integer', required: false },
      filter: { type: 'object', required: false }
    },
    buffers: 'ids'
  },
  view: {
    fields: {
      dataset: { type: ['string', 'null'] },
      filter: { type: 'object' }
    }
  },
  response: { fields: { result: { type: 'object' } } },
  error: { fields: { message: { type: 'string' } } }
};

let counter = 0;

/** A new frontend message of `type` with a fresh id. */
export function frontendMessage<T extends FrontendCommMessage['type']>(
  type: T,
  fields: Omit<Extract<FrontendCommMessage, { type: T }>, keyof IEnvelope> & {
    reply_to?: string | null;
  }
): Extract<FrontendCommMessage, { type: T }> {
  counter += 1;
  return {
    v: PROTOCOL_VERSION,
    type,
    id: `f${counter}`,
    ...fields
  } as unknown as Extract<FrontendCommMessage, { type: T }>;
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

/** Whether `value` has one of the JSON types `names`. */
function hasType(
  value: unknown,
  names: JSONTypeName | JSONTypeName[]
): boolean {
  return ([] as JSONTypeName[]).concat(names).some(name => {
    switch (name) {
      case 'null':
        return value === null;
      case 'object':
        return (
          typeof value === 'object' && value !== null && !Array.isArray(value)
        );
      case 'integer':
        return Number.isInteger(value);
      default:
        return typeof value === name;
    }
  });
}

/** Why `data` lacks the described fields, or null. */
function fieldsProblem(
  data: { [key: string]: unknown },
  fields: {
    [name: string]: {
      type: JSONTypeName | JSONTypeName[];
      required?: boolean;
      enum?: unknown[];
    };
  },
  what: string
): string | null {
  for (const [name, field] of Object.entries(fields)) {
    if (!(name in data)) {
      if (field.required !== false) {
        return `${what} needs the field '${name}'`;
      }
      continue;
    }
    const value = data[name];
    if (!hasType(value, field.type)) {
      return `${what}: '${name}' must be ${([] as string[]).concat(field.type).join(' or ')}`;
    }
    if (field.enum && !field.enum.includes(value)) {
      return `${what}: '${name}' must be one of ${JSON.stringify(field.enum)}`;
    }
  }
  return null;
}

/** Check a kernel message against the description; returns an error text or null. */
export function checkKernelMessage(data: unknown): string | null {
  if (!data || typeof data !== 'object' || Array.isArray(data)) {
    return 'a message must be a JSON object';
  }
  const msg = data as { [key: string]: unknown };
  if (msg.v !== PROTOCOL_VERSION) {
    return (
      `protocol version ${JSON.stringify(msg.v)} is not supported (this ` +
      `JupyterLab speaks ${PROTOCOL_VERSION}); update visionlens_jlab so the ` +
      'kernel and JupyterLab match'
    );
  }
  const type = msg.type as string;
  if (!Object.prototype.hasOwnProperty.call(KERNEL_MESSAGES, type)) {
    return `unknown message type ${JSON.stringify(msg.type)}`;
  }
  const spec = KERNEL_MESSAGES[type as KernelCommMessage['type']];
  return (
    fieldsProblem(msg, ENVELOPE, 'a message') ??
    fieldsProblem(msg, spec.fields, `a '${type}' message`)
  );
}
