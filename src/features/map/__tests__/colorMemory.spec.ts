/**
 * The map's colour field per dataset: kept in the state database (a new
 * memory, as after a reload, reads it back), one per dataset, shown in the
 * picker only when the picker offers it; malformed saved state is ignored.
 */
import { StateDB } from '@jupyterlab/statedb';

import { MAP_COLOR_KEY, MapColorMemory } from '../colorMemory';

function picker(values: string[]): HTMLSelectElement {
  const el = document.createElement('select');
  for (const value of values) {
    el.append(new Option(value, value));
  }
  return el;
}

describe('MapColorMemory', () => {
  it('keeps one field per dataset, across memories of one database', async () => {
    const db = new StateDB();
    const first = new MapColorMemory(db);
    await first.restored;
    first.set('demo', 'top_class');
    first.set('other', 'split');
    expect(first.get('demo')).toBe('top_class');
    expect(first.get('none')).toBeNull();

    await new Promise(resolve => setTimeout(resolve, 0));
    const again = new MapColorMemory(db);
    await again.restored;
    expect(again.get('demo')).toBe('top_class');
    expect(again.get('other')).toBe('split');
  });

  it('shows the remembered field only when the picker offers it', () => {
    const memory = new MapColorMemory();
    memory.set('demo', 'fields.weather');
    const base = picker(['', 'top_class']);
    expect(memory.apply(base, 'demo')).toBe(false);
    expect(base.value).toBe('');

    const withFields = picker(['', 'top_class', 'fields.weather']);
    expect(memory.apply(withFields, 'demo')).toBe(true);
    expect(withFields.value).toBe('fields.weather');
    expect(memory.apply(withFields, 'demo')).toBe(false);
    expect(memory.apply(withFields, 'other')).toBe(false);
  });

  it('ignores malformed saved state; a choice made while reading wins', async () => {
    const db = new StateDB();
    await db.save(MAP_COLOR_KEY, { demo: 3, other: 'split', late: 'split' });
    const memory = new MapColorMemory(db);
    memory.set('late', 'box_count');
    await memory.restored;
    expect(memory.get('demo')).toBeNull();
    expect(memory.get('other')).toBe('split');
    expect(memory.get('late')).toBe('box_count');

    await db.save(MAP_COLOR_KEY, ['top_class']);
    const fromList = new MapColorMemory(db);
    await fromList.restored;
    expect(fromList.get('0')).toBeNull();
  });
});
