/**
 * The lab-side plugin registry: ordering, dispose, validation, versioning,
 * and isolation of contributions that throw (in the grid tile, the sample
 * view's sections and the map's colour schemes).
 */
import { ServerConnection } from '@jupyterlab/services';

import { VisionLensClient } from '../../api/client';
import {
  cssToRgb,
  colorPoints,
  rampColor
} from '../../features/map/colorScale';
import { SchemePicker, schemePalette } from '../../features/map/schemes';
import { VisionLensModel } from '../model';
import { ISample, ITileOverlay } from '../tokens';
import { SampleTileRenderer } from '../../features/grid/tiles';
import { ExtensionRegistry, supportsVersion } from '../registry';
import {
  renderSampleSections,
  renderTileOverlays
} from '../../ui/contributions';
import { wireBox, wireSample } from '../../__tests__/wireSample';

function makeModel(): VisionLensModel {
  return new VisionLensModel({
    client: new VisionLensClient(ServerConnection.makeSettings()),
    state: null,
    saveDelay: 0
  });
}

const SAMPLE: ISample = wireSample({
  sample_id: 7,
  file_name: 'a/cat.jpg',
  width: 100,
  height: 50,
  split: 'train',
  annotations: [
    wireBox({ ann_id: 1, source: 'gt', label: 'cat', bbox: [1, 2, 30, 20] }),
    wireBox({ ann_id: 2, source: 'gt', label: 'dog', bbox: [40, 2, 30, 20] })
  ]
});

/** An overlay writing its id and the box count into its element. */
function badge(id: string, rank?: number): ITileOverlay {
  return {
    id,
    owner: 'test-ext',
    rank,
    render: ({ sample, element }) => {
      element.textContent = `${id}:${sample.annotations.length}`;
    }
  };
}

function thrower(id: string): ITileOverlay {
  return {
    id,
    owner: 'broken-ext',
    render: () => {
      throw new Error(`boom from ${id}`);
    }
  };
}

let errorSpy: jest.SpyInstance;
beforeEach(() => {
  // The registry logs every failure; keep the test output readable.
  errorSpy = jest.spyOn(console, 'error').mockImplementation(() => undefined);
});
afterEach(() => errorSpy.mockRestore());

describe('ExtensionRegistry', () => {
  it('orders by rank, then by registration order', () => {
    const registry = new ExtensionRegistry();
    registry.addTileOverlay(badge('late', 200));
    registry.addTileOverlay(badge('first-default'));
    registry.addTileOverlay(badge('early', 10));
    registry.addTileOverlay(badge('second-default'));
    expect(registry.tileOverlays.map(o => o.id)).toEqual([
      'early',
      'first-default',
      'second-default',
      'late'
    ]);
  });

  it('removes a contribution on dispose, once, and says so', () => {
    const registry = new ExtensionRegistry();
    const kinds: string[] = [];
    registry.changed.connect((_, kind) => kinds.push(kind));
    const handle = registry.addSampleViewSection({
      id: 's',
      owner: 'o',
      title: 'S',
      render: () => undefined
    });
    const other = registry.addTileOverlay(badge('b'));
    expect(registry.sampleViewSections).toHaveLength(1);
    handle.dispose();
    handle.dispose();
    expect(handle.isDisposed).toBe(true);
    expect(registry.sampleViewSections).toHaveLength(0);
    expect(registry.tileOverlays.map(o => o.id)).toEqual(['b']);
    expect(kinds).toEqual(['sampleSection', 'tileOverlay', 'sampleSection']);
    // The id is free again.
    registry.addSampleViewSection({
      id: 's',
      owner: 'o',
      title: 'S',
      render: () => undefined
    });
    other.dispose();
    expect(registry.contributions().map(c => [c.kind, c.id])).toEqual([
      ['sampleSection', 's']
    ]);
  });

  it('refuses a duplicate id and a contribution missing its parts', () => {
    const registry = new ExtensionRegistry();
    registry.addTileOverlay(badge('x'));
    expect(() => registry.addTileOverlay(badge('x'))).toThrow(
      /already registered/
    );
    expect(() =>
      registry.addSampleViewSection({ id: 'y', owner: 'o' } as any)
    ).toThrow(/"render", "title"/);
    expect(() =>
      registry.addMapColorScheme({ id: 'z', label: 'Z' } as any)
    ).toThrow(/"owner"/);
    // The same id in another kind is another contribution.
    registry.addMapColorScheme({ id: 'x', owner: 'o', label: 'X' });
    expect(registry.contributions()).toHaveLength(2);
  });

  it('serves extensions of its major version and an older or equal minor', () => {
    const registry = new ExtensionRegistry();
    expect(registry.apiVersion).toBe('1.0');
    expect(registry.supports('1')).toBe(true);
    expect(registry.supports('1.0')).toBe(true);
    expect(registry.supports('1.1')).toBe(false);
    expect(registry.supports('2.0')).toBe(false);
    expect(registry.supports('nonsense')).toBe(false);
    expect(supportsVersion('1.3', '1.2')).toBe(true);
    expect(supportsVersion('2.0', '1.9')).toBe(false);
  });
});

describe('tile overlays', () => {
  it('draws every overlay and isolates one that throws', () => {
    const model = makeModel();
    const failures: string[] = [];
    model.extensions.failed.connect((_, info) =>
      failures.push(`${info.id}:${info.errors}:${info.lastError}`)
    );
    model.extensions.addTileOverlay(badge('a', 1));
    model.extensions.addTileOverlay(thrower('bad'));
    model.extensions.addTileOverlay(badge('c', 300));
    const layer = document.createElement('div');
    renderTileOverlays(model, layer, SAMPLE, 128);
    expect(Array.from(layer.children).map(c => c.textContent)).toEqual([
      'a:2',
      'c:2'
    ]);
    renderTileOverlays(model, layer, SAMPLE, 128);
    expect(layer.children).toHaveLength(2);
    expect(failures).toEqual(['bad:1:boom from bad', 'bad:2:boom from bad']);
    const bad = model.extensions.contributions().find(c => c.id === 'bad');
    expect(bad?.errors).toBe(2);
    expect(errorSpy).toHaveBeenCalledTimes(2);
    expect(String(errorSpy.mock.calls[0][0])).toContain('broken-ext');
    renderTileOverlays(model, layer, null, 128);
    expect(layer.children).toHaveLength(0);
  });

  it('a throwing overlay leaves the rest of the grid tile intact', () => {
    const model = makeModel();
    model.setDataset('d');
    model.setFieldVisible('split', true);
    model.extensions.addTileOverlay(thrower('bad'));
    model.extensions.addTileOverlay(badge('count'));
    const tiles = new SampleTileRenderer(model);
    const tile = tiles.create(document.createElement('div'));
    tiles.fill(tile, SAMPLE, 128);
    expect(tile.dataset.sampleId).toBe('7');
    expect(tile._img?.getAttribute('src')).toContain('/samples/7/image');
    expect(
      tile._labels?.svg.querySelectorAll('rect').length
    ).toBeGreaterThanOrEqual(2);
    expect(tile._caption?.textContent).toBe('train');
    expect(tile._ext?.textContent).toBe('count:2');
  });
});

describe('sample-view sections', () => {
  it('renders titled sections in order; a throwing one shows it failed', () => {
    const model = makeModel();
    model.extensions.addSampleViewSection({
      id: 'broken',
      owner: 'broken-ext',
      title: 'Broken',
      rank: 1,
      render: () => {
        throw new Error('no');
      }
    });
    model.extensions.addSampleViewSection({
      id: 'info',
      owner: 'good-ext',
      title: 'Box count',
      render: ({ sample, element }) => {
        element.textContent = `${sample.annotations.length} boxes`;
      }
    });
    const nodes = renderSampleSections(model, SAMPLE);
    expect(nodes.map(n => n.dataset.section)).toEqual(['broken', 'info']);
    expect(nodes[0].querySelector('h3')?.textContent).toBe('Broken');
    expect(nodes[0].textContent).toContain('broken-ext');
    expect(nodes[0].textContent).toContain('failed');
    expect(nodes[1].textContent).toBe('Box count2 boxes');
  });
});

describe('map colour schemes', () => {
  const values = {
    kind: 'categorical' as const,
    field: 'top_class',
    codes: new Uint16Array([0, 1]),
    legend: [
      { value: 'person', count: 1 },
      { value: 'dog', count: 1 }
    ],
    nullCode: 65535,
    header: {}
  };

  it('colours points with a registered scheme', () => {
    const model = makeModel();
    model.extensions.addMapColorScheme({
      id: 'mono',
      owner: 'o',
      label: 'Mono',
      categorical: (_, index) => (index === 0 ? '#ff0000' : '#00ff00'),
      numeric: t => `rgb(${Math.round(255 * t)}, 0, 0)`
    });
    const palette = schemePalette(
      model,
      model.extensions.mapColorScheme('mono')
    );
    const { colors } = colorPoints(
      values,
      2,
      palette.colorOf,
      undefined,
      palette.ramp
    );
    expect(Array.from(colors)).toEqual([255, 0, 0, 255, 0, 255, 0, 255]);
    expect(palette.ramp(1)).toEqual([255, 0, 0]);
  });

  it('falls back to the built-in colours when a scheme throws', () => {
    const model = makeModel();
    model.extensions.addMapColorScheme({
      id: 'bad',
      owner: 'broken-ext',
      label: 'Bad',
      categorical: () => {
        throw new Error('bad scheme');
      },
      numeric: () => 'not a colour'
    });
    const palette = schemePalette(
      model,
      model.extensions.mapColorScheme('bad')
    );
    const { colors } = colorPoints(values, 2, palette.colorOf);
    expect(Array.from(colors.slice(0, 3))).toEqual(
      cssToRgb(model.classColor('person'))
    );
    expect(palette.ramp(0.5)).toEqual(rampColor(0.5));
    expect(model.extensions.contributions()[0].errors).toBe(2);
  });

  it('the picker offers the registered schemes and follows removals', () => {
    const model = makeModel();
    let changes = 0;
    const picker = new SchemePicker(model, () => changes++);
    expect(picker.node.hidden).toBe(true);
    const handle = model.extensions.addMapColorScheme({
      id: 'mono',
      owner: 'o',
      label: 'Mono',
      categorical: () => '#123456'
    });
    expect(picker.node.hidden).toBe(false);
    expect(Array.from(picker.node.options).map(o => o.textContent)).toEqual([
      'Default colours',
      'Mono'
    ]);
    picker.node.value = 'mono';
    expect(picker.palette().colorOf('cat', 0)).toBe('#123456');
    handle.dispose();
    // The scheme picked went away: back to the built-in one, and the map recolours.
    expect(picker.node.value).toBe('');
    expect(changes).toBe(1);
    expect(picker.palette().colorOf('cat', 0)).toBe(model.classColor('cat'));
    picker.dispose();
    model.extensions.addMapColorScheme({ id: 'x', owner: 'o', label: 'X' });
    expect(picker.node.options).toHaveLength(1);
  });
});
