import * as fs from 'fs';
import * as path from 'path';

import {
  checkKernelMessage,
  COMM_TARGET,
  decodeIds,
  encodeIds,
  ENVELOPE,
  FRONTEND_MESSAGES,
  frontendMessage,
  KERNEL_MESSAGES,
  PROTOCOL_VERSION,
  toModelFilter
} from '../protocol';

/** The one description of the protocol, shipped in the Python package. */
const DESCRIPTION_FILE = path.resolve(
  __dirname,
  '../../../../visionlens_jlab/notebook/comm_messages.json'
);

/** A copy without the `doc` texts (documentation, not protocol). */
function withoutDocs(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map(withoutDocs);
  }
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([key]) => key !== 'doc')
        .map(([key, v]) => [key, withoutDocs(v)])
    );
  }
  return value;
}

describe('bridge protocol', () => {
  it('round-trips ids as sorted unique little-endian int64', () => {
    const { count, buffer } = encodeIds([5, 3, 3, 2 ** 40]);
    expect(count).toBe(3);
    expect(buffer.byteLength).toBe(24);
    expect(new DataView(buffer).getBigInt64(0, true)).toBe(BigInt(3));
    expect(decodeIds([buffer], 3)).toEqual([3, 5, 2 ** 40]);
  });

  it('reads buffers at unaligned offsets', () => {
    const { buffer } = encodeIds([7, 9]);
    const frame = new Uint8Array(1 + buffer.byteLength);
    frame.set(new Uint8Array(buffer), 1);
    expect(decodeIds([new DataView(frame.buffer, 1, 16)], 2)).toEqual([7, 9]);
  });

  it('rejects inconsistent buffers', () => {
    expect(decodeIds(undefined, 0)).toEqual([]);
    expect(() => decodeIds(undefined, 2)).toThrow('no buffer');
    expect(() => decodeIds([new ArrayBuffer(12)], 1)).toThrow('whole number');
    expect(() => decodeIds([new ArrayBuffer(16)], 1)).toThrow(
      '1 ids announced, 2 received'
    );
  });

  it('agrees with comm_messages.json, the description Python is checked against', () => {
    const description = JSON.parse(fs.readFileSync(DESCRIPTION_FILE, 'utf-8'));
    expect({
      version: PROTOCOL_VERSION,
      target: COMM_TARGET,
      envelope: ENVELOPE,
      kernel: KERNEL_MESSAGES,
      frontend: FRONTEND_MESSAGES
    }).toEqual(withoutDocs(description));
  });

  it('checks kernel messages against the description', () => {
    const select = { v: 1, type: 'select', id: 'k1', dataset: 'd', count: 0 };
    expect(checkKernelMessage(select)).toBeNull();
    expect(checkKernelMessage({ ...select, v: 2 })).toContain('version 2');
    expect(checkKernelMessage({ ...select, type: 'selection' })).toContain(
      'unknown'
    );
    expect(checkKernelMessage('x')).toContain('JSON object');
    expect(checkKernelMessage({ ...select, count: 1.5 })).toBe(
      "a 'select' message: 'count' must be integer"
    );
    const { dataset, ...noDataset } = select;
    expect(dataset).toBe('d');
    expect(checkKernelMessage(noDataset)).toBe(
      "a 'select' message needs the field 'dataset'"
    );
    expect(
      checkKernelMessage({ v: 1, type: 'request', id: 'k2', method: 'close' })
    ).toContain("'method' must be one of");
    expect(
      checkKernelMessage({ v: 1, type: 'error', id: 'k3', message: 'no' })
    ).toBeNull();
    expect(
      checkKernelMessage({ v: 1, type: 'filter', dataset: 'd', filter: null })
    ).toBe("a message needs the field 'id'");
  });

  it('builds messages with fresh ids and model filters', () => {
    const a = frontendMessage('view', { dataset: 'd', filter: {} });
    const b = frontendMessage('view', { dataset: 'd', filter: {} });
    expect(a.v).toBe(1);
    expect(a.id).not.toEqual(b.id);
    expect(toModelFilter({ labels: { classes: ['cat'] } })).toEqual({
      labels: [{ classes: ['cat'] }]
    });
    expect(toModelFilter(null)).toEqual({});
  });
});
