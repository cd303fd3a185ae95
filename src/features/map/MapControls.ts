/**
 * The map panel's controls: toolbar, legend and the "reproducible as code"
 * box. Plain DOM; every dataset string goes through textContent.
 */
import { Clipboard } from '@jupyterlab/apputils';

import { button, clear, fmtInt, h } from '../../base/dom';
import { IColoring, rampGradient, rgbCss } from './colorScale';
import { PointValues } from '../../api/mapWire';

/** Tools of the pointer on the map. */
export type MapTool = 'pan' | 'lasso' | 'rect';

/** A `<select>` with these options (value, label). */
export function select(
  className: string,
  label: string,
  options: [string, string][]
): HTMLSelectElement {
  const el = h('select', {
    className: `jp-VisionLens-mapSelect ${className}`,
    attrs: { 'aria-label': label }
  });
  setOptions(el, options);
  return el;
}

/** Replace the options of a `<select>`, keeping its value when still offered. */
export function setOptions(
  el: HTMLSelectElement,
  options: [string, string][]
): void {
  const current = el.value;
  clear(el);
  for (const [value, label] of options) {
    el.appendChild(h('option', { text: label, attrs: { value } }));
  }
  if (options.some(([value]) => value === current)) {
    el.value = current;
  }
}

/** The tool buttons; `onTool` is called with the tool picked. */
export function toolButtons(onTool: (tool: MapTool) => void): {
  node: HTMLElement;
  set: (tool: MapTool) => void;
} {
  const tools: [MapTool, string, string][] = [
    ['pan', 'Pan', 'Drag to pan, wheel to zoom, click a point to open it'],
    ['lasso', 'Lasso', 'Draw around points (Shift adds, Alt subtracts)'],
    ['rect', 'Rectangle', 'Drag a rectangle (Shift adds, Alt subtracts)']
  ];
  const buttons = tools.map(([tool, label, title]) => {
    const b = button(label, `jp-VisionLens-mapTool jp-mod-${tool}`, () =>
      onTool(tool)
    );
    b.title = title;
    b.dataset.tool = tool;
    return b;
  });
  const set = (tool: MapTool) => {
    for (const b of buttons) {
      b.classList.toggle('jp-mod-active', b.dataset.tool === tool);
      b.setAttribute('aria-pressed', String(b.dataset.tool === tool));
    }
  };
  set('pan');
  return {
    node: h('span', { className: 'jp-VisionLens-mapTools' }, ...buttons),
    set
  };
}

/** Fill the legend for the current colouring. */
export function renderLegend(
  legend: HTMLElement,
  values: PointValues | null,
  coloring: IColoring | null,
  ramp?: (t: number) => [number, number, number]
): void {
  clear(legend);
  legend.hidden = !values;
  if (!values || !coloring) {
    return;
  }
  legend.appendChild(
    h('div', { className: 'jp-VisionLens-mapLegendTitle', text: values.field })
  );
  if (values.kind === 'numeric') {
    const bar = h('div', { className: 'jp-VisionLens-mapLegendRamp' });
    bar.style.background = rampGradient(ramp);
    const fmt = (v: number) =>
      Number.isFinite(v) ? String(Number(v.toPrecision(4))) : '–';
    legend.append(
      bar,
      h(
        'div',
        { className: 'jp-VisionLens-mapLegendRange' },
        h('span', { text: fmt(values.min) }),
        h('span', { text: fmt(values.max) })
      )
    );
    return;
  }
  const list = h('ul', { className: 'jp-VisionLens-mapLegendList' });
  for (const row of coloring.legend.slice(0, 40)) {
    const swatch = h('span', { className: 'jp-VisionLens-mapSwatch' });
    swatch.style.background = rgbCss(row.color);
    list.appendChild(
      h(
        'li',
        { className: 'jp-VisionLens-mapLegendItem' },
        swatch,
        h('span', {
          className: 'jp-VisionLens-mapLegendLabel',
          text: row.label
        }),
        h('span', {
          className: 'jp-VisionLens-mapLegendCount',
          text: fmtInt(row.count)
        })
      )
    );
  }
  if (coloring.legend.length > 40) {
    list.appendChild(
      h('li', { text: `… ${fmtInt(coloring.legend.length - 40)} more values` })
    );
  }
  legend.appendChild(list);
}

/** The "reproducible as code" box: a summary, the code and a copy button. */
export function codeBox(): {
  node: HTMLDetailsElement;
  set: (code: string) => void;
} {
  const pre = h('pre', { className: 'jp-VisionLens-mapCodeText' });
  const copy = button('Copy', 'jp-VisionLens-mapCopy', () => {
    Clipboard.copyToSystem(pre.textContent ?? '');
    copy.textContent = 'Copied';
    window.setTimeout(() => (copy.textContent = 'Copy'), 1500);
  });
  const node = h(
    'details',
    { className: 'jp-VisionLens-mapCode' },
    h('summary', { text: 'Reproducible as code' }),
    copy,
    pre
  );
  return { node, set: code => (pre.textContent = code) };
}
