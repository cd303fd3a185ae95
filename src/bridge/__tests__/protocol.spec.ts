import {
  checkEnvelope,
  decodeIds,
  encodeIds,
  frontendMessage,
  toModelFilter
} from '../protocol';

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

  it('checks envelopes', () => {
    expect(checkEnvelope({ v: 1, type: 'select' })).toBeNull();
    expect(checkEnvelope({ v: 2, type: 'select' })).toContain('version 2');
    expect(checkEnvelope({ v: 1, type: 'selection' })).toContain('unknown');
    expect(checkEnvelope('x')).toContain('JSON object');
  });

  it('builds messages with fresh ids and model filters', () => {
    const a = frontendMessage('view', { dataset: 'd' });
    const b = frontendMessage('view', { dataset: 'd' });
    expect(a.v).toBe(1);
    expect(a.id).not.toEqual(b.id);
    expect(toModelFilter({ labels: { classes: ['cat'] } })).toEqual({
      labels: [{ classes: ['cat'] }]
    });
    expect(toModelFilter(null)).toEqual({});
  });
});
