/* eslint-env browser */
/**
 * Browser side of bench_map_render.js: the map panel's own MapCanvas (the
 * points layer) and deck.gl's ScatterplotLayer on the same generated data.
 * Built with webpack from ../../lib (the compiled src/).
 */
import { Deck, OrthographicView } from '@deck.gl/core';
import { ScatterplotLayer } from '@deck.gl/layers';

import { MapCanvas } from '../../lib/map/MapCanvas';

/** 20 Gaussian clusters, interleaved x, y (seeded). */
function clusters(n) {
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
    colors.set([(c * 53) % 255, (c * 97) % 255, (c * 31) % 255, 255], 4 * i);
  }
  return { pos, colors };
}

/** Block until the GPU (software or not) finished the frame. */
function sync(canvas) {
  const gl = canvas.getContext('webgl2');
  gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, new Uint8Array(4));
}

function frameOnce(register) {
  return new Promise(resolve => register(resolve));
}

/** The panel's points layer: first paint, then `pans` pan frames. */
window.benchPoints = async (n, pans) => {
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
  const flags = new Uint8Array(n).fill(1);
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
  canvas.dispose();
  return { firstPaint, panMs };
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
