/* eslint-env browser */
/**
 * Browser side of bench_map_render.js: the map panel's own MapCanvas (the
 * points layer), deck.gl's ScatterplotLayer and regl-scatterplot (the
 * renderer of jupyter-scatter) on the same generated data.
 * Built with webpack from ../../lib (the compiled src/).
 */
import { Deck, OrthographicView } from '@deck.gl/core';
import { ScatterplotLayer } from '@deck.gl/layers';
import createScatterplot from 'regl-scatterplot';

import { MapCanvas } from '../../lib/features/map/MapCanvas';

/** 20 Gaussian clusters, interleaved x, y (seeded). */
function clusters(n) {
  const cached = clusters.last;
  if (cached && cached.n === n) {
    return cached.data;
  }
  let seed = 12345;
  const rand = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  const gauss = () =>
    Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  const centres = Array.from({ length: 20 }, () => [
    rand() * 20 - 10,
    rand() * 20 - 10
  ]);
  const pos = new Float32Array(2 * n);
  const colors = new Uint8Array(4 * n);
  for (let i = 0; i < n; i++) {
    const c = i % 20;
    pos[2 * i] = centres[c][0] + gauss() * 0.8;
    pos[2 * i + 1] = centres[c][1] + gauss() * 0.8;
    colors.set(PALETTE[c], 4 * i);
  }
  clusters.last = { n, data: { pos, colors } };
  return { pos, colors };
}

/** The 20 cluster colours (RGBA bytes). */
const PALETTE = Array.from({ length: 20 }, (_, c) => [
  (c * 53) % 255,
  (c * 97) % 255,
  (c * 31) % 255,
  255
]);

/** Block until the GPU (software or not) finished the frame. */
function sync(canvas) {
  const gl = canvas.getContext('webgl2');
  gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, new Uint8Array(4));
}

/** The whole frame's RGBA bytes (blocks until drawn). */
function pixels(canvas) {
  const gl = canvas.getContext('webgl2');
  const out = new Uint8Array(
    gl.drawingBufferWidth * gl.drawingBufferHeight * 4
  );
  gl.readPixels(
    0,
    0,
    gl.drawingBufferWidth,
    gl.drawingBufferHeight,
    gl.RGBA,
    gl.UNSIGNED_BYTE,
    out
  );
  return out;
}

function frameOnce(register) {
  return new Promise(resolve => register(resolve));
}

/** Deterministic share of the points (a seeded hash per index), as 0/1 bytes. */
function share(n, fraction, seed) {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    let h = Math.imul(i ^ seed, 0x9e3779b1);
    h ^= h >>> 15;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    out[i] = (h >>> 0) / 4294967296 < fraction ? 1 : 0;
  }
  return out;
}

/**
 * The benchmark's drawing modes: `plain` (every point opaque), `selection`
 * (10 % of the points selected, spread at random), `dimmed` (50 % outside
 * the filter, drawn dimmed), `density` (the additive density view).
 */
function modeData(n, mode) {
  const flags = new Uint8Array(n).fill(1);
  const options = {};
  if (mode === 'selection') {
    const sel = share(n, 0.1, 1);
    for (let i = 0; i < n; i++) {
      flags[i] |= sel[i] << 1;
    }
    options.hasSelection = true;
  } else if (mode === 'dimmed') {
    const out = share(n, 0.5, 2);
    for (let i = 0; i < n; i++) {
      flags[i] = out[i] ? 0 : 1;
    }
    options.filterMode = 'dim';
  } else if (mode === 'density') {
    options.density = true;
  }
  return { flags, options };
}

/** The panel's points layer: first paint, then `pans` pan frames. */
window.benchPoints = async (n, pans, mode) => {
  const host = document.getElementById('host');
  let onFrame = null;
  const canvas = new MapCanvas(host, {
    onViewChange: () => undefined,
    onContextLost: () => undefined,
    onContextRestored: () => undefined,
    onFrame: () => onFrame && onFrame()
  });
  await new Promise(r => setTimeout(r, 500)); // device creation
  const { pos, colors } = clusters(n);
  const { flags, options } = modeData(n, mode);
  // The style is set before the data, as the panel does (no frame drawn).
  canvas.setDrawOptions(options);
  const t0 = performance.now();
  const first = frameOnce(r => (onFrame = r));
  canvas.fitBounds([-13, -13, 13, 13]);
  canvas.setData({ count: n, positions: pos, colors, flags });
  await first;
  sync(canvas.canvas);
  const firstPaint = performance.now() - t0;
  const panMs = [];
  for (let k = 0; k < pans; k++) {
    const t = performance.now();
    const done = frameOnce(r => (onFrame = r));
    canvas.panBy(k % 2 ? -40 : 40, 10);
    await done;
    sync(canvas.canvas);
    panMs.push(performance.now() - t);
  }
  const drawn = canvas.drawnPoints;
  // The same view drawn with every point (in the same draw order): how many
  // pixels the level of detail changes, and by how much.
  const lodImage = pixels(canvas.canvas);
  const all = frameOnce(r => (onFrame = r));
  canvas.setDrawOptions({ lod: false });
  await all;
  const fullImage = pixels(canvas.canvas);
  let covered = 0;
  let differ = 0;
  let differMuch = 0;
  for (let i = 0; i < fullImage.length; i += 4) {
    const bg = fullImage[i + 3] === 0 && lodImage[i + 3] === 0;
    if (!bg) {
      covered++;
      let d = 0;
      for (let c = 0; c < 4; c++) {
        d = Math.max(d, Math.abs(fullImage[i + c] - lodImage[i + c]));
      }
      differ += d > 0 ? 1 : 0;
      // More than 10 % of the range in some channel: a visible change.
      differMuch += d > 25 ? 1 : 0;
    }
  }
  canvas.dispose();
  return { firstPaint, panMs, drawn, covered, differ, differMuch };
};

/** deck.gl's ScatterplotLayer with the same binary attributes. */
window.benchScatterplot = async (n, pans) => {
  const host = document.getElementById('host');
  const { pos, colors } = clusters(n);
  let onFrame = null;
  let viewState = { target: [0, 0, 0], zoom: Math.log2(800 / 26) };
  const deck = new Deck({
    parent: host,
    views: new OrthographicView({ id: 'map', flipY: false }),
    viewState,
    useDevicePixels: 1,
    onAfterRender: () => onFrame && onFrame()
  });
  await new Promise(r => setTimeout(r, 500));
  const t0 = performance.now();
  const first = frameOnce(r => (onFrame = r));
  deck.setProps({
    layers: [
      new ScatterplotLayer({
        id: 's',
        data: {
          length: n,
          attributes: {
            getPosition: { value: pos, size: 2 },
            getFillColor: { value: colors, size: 4, normalized: true }
          }
        },
        radiusUnits: 'pixels',
        getRadius: 1
      })
    ]
  });
  await first;
  sync(deck.getCanvas());
  const firstPaint = performance.now() - t0;
  const panMs = [];
  for (let k = 0; k < pans; k++) {
    const t = performance.now();
    const done = frameOnce(r => (onFrame = r));
    viewState = {
      ...viewState,
      target: [viewState.target[0] + (k % 2 ? -1 : 1), 0, 0]
    };
    deck.setProps({ viewState });
    await done;
    sync(deck.getCanvas());
    panMs.push(performance.now() - t);
  }
  deck.finalize();
  host.replaceChildren();
  return { firstPaint, panMs };
};

/**
 * regl-scatterplot, as jupyter-scatter drives it: points in [-1, 1] with a
 * categorical colour per cluster, its default (round, anti-aliased) points
 * at the same 2 px size. Input conversion (to its x/y/category columns) is
 * done before the clock starts, as our panel's decoding is.
 */
window.benchRegl = async (n, pans, mode) => {
  const host = document.getElementById('host');
  const { pos } = clusters(n);
  const x = new Float32Array(n);
  const y = new Float32Array(n);
  const z = new Float32Array(n);
  const w = new Float32Array(n);
  const { flags } = modeData(n, mode);
  const selected = [];
  for (let i = 0; i < n; i++) {
    // The same view as the others: [-13, 13] fitted with a 0.9 margin.
    x[i] = pos[2 * i] / 13;
    y[i] = pos[2 * i + 1] / 13;
    z[i] = i % 20;
    w[i] = flags[i] & 1;
    if (flags[i] & 2) {
      selected.push(i);
    }
  }
  const canvas = document.createElement('canvas');
  canvas.style.width = '1280px';
  canvas.style.height = '800px';
  host.appendChild(canvas);
  const hex = c =>
    '#' +
    c
      .slice(0, 3)
      .map(v => v.toString(16).padStart(2, '0'))
      .join('');
  // Its equivalents of our modes: a selection with the unselected faded
  // (opacityInactiveScale, as our 0.3); dimming as a per-point opacity
  // (opacityBy a 0/1 value, 0.15 outside: jupyter-scatter's `opacity_by`;
  // its `filter()` hides instead); its density-based opacity.
  const modeProps =
    mode === 'dimmed'
      ? { opacityBy: 'valueB', opacity: [0.15, 1] }
      : mode === 'density'
        ? { opacityBy: 'density' }
        : mode === 'selection'
          ? { opacityInactiveScale: 0.3 }
          : {};
  const plot = createScatterplot({
    canvas,
    width: 1280,
    height: 800,
    pointSize: 2,
    colorBy: 'valueA',
    pointColor: PALETTE.map(hex),
    ...modeProps
  });
  let onFrame = null;
  plot.subscribe('draw', () => onFrame && onFrame());
  await new Promise(r => setTimeout(r, 500));
  const sync2d = () => canvas.getContext('2d').getImageData(0, 0, 1, 1);
  const t0 = performance.now();
  const first = frameOnce(r => (onFrame = r));
  await plot.draw(
    { x, y, valueA: z, valueB: w },
    {
      zDataType: 'categorical',
      wDataType: 'categorical',
      ...(mode === 'selection' ? { select: selected } : {})
    }
  );
  await first;
  sync2d();
  const firstPaint = performance.now() - t0;
  const panMs = [];
  let target = plot.get('cameraTarget');
  for (let k = 0; k < pans; k++) {
    const t = performance.now();
    const done = frameOnce(r => (onFrame = r));
    target = [target[0] + (k % 2 ? -1 : 1) * (40 / 800) * 2 * 0.9, target[1]];
    plot.set({ cameraTarget: target });
    await done;
    sync2d();
    panMs.push(performance.now() - t);
  }
  plot.destroy();
  host.replaceChildren();
  return { firstPaint, panMs };
};
