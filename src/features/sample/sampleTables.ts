/**
 * The side tables of the sample view: the caption (if a caption job wrote
 * one), fields (with "show on tiles" toggles) and boxes. All values are set
 * as text.
 */
import {
  GROUND_TRUTH,
  IAnnotation,
  ISample,
  IVisionLensModel
} from '../../model/tokens';
import { fmtValue, h } from '../../base/dom';
import { sampleCaption } from '../../model/captions';

/** The fields and boxes tables of a sample. */
export function sampleTables(
  model: IVisionLensModel,
  s: ISample
): HTMLElement[] {
  const fields: [string, unknown][] = [
    ['sample_id', s.sample_id],
    ['file_name', s.file_name],
    ['size', s.width && s.height ? `${s.width} × ${s.height}` : ''],
    ['split', s.split],
    ['source_image_id', s.source_image_id],
    ['tags', s.tags.join(', ')],
    ...Object.entries(s.fields ?? {}).map(
      ([k, v]) => [`fields.${k}`, v] as [string, unknown]
    )
  ];
  const fieldsTable = h(
    'table',
    { className: 'jp-VisionLens-table jp-VisionLens-fieldsTable' },
    h(
      'tbody',
      {},
      ...fields.map(([k, v]) => {
        const pinnable = k === 'split' || k.startsWith('fields.');
        const pin = h('input', {
          attrs: {
            type: 'checkbox',
            'aria-label': `Show ${k} on grid tiles`
          },
          title: 'Show on grid tiles'
        });
        pin.checked = model.visibleFields.includes(k);
        pin.addEventListener('change', () =>
          model.setFieldVisible(k, pin.checked)
        );
        return h(
          'tr',
          {},
          h('td', {}, pinnable ? pin : ''),
          h('th', { text: k }),
          h('td', { text: fmtValue(v) })
        );
      })
    )
  );
  // One table per source (ground truth first), so that no column repeats a
  // long model name and the table fits the side panel without scrolling.
  const sources = [...new Set(s.annotations.map(a => a.source))].sort(
    (a, b) => Number(b === GROUND_TRUTH) - Number(a === GROUND_TRUTH)
  );
  const boxesTables = sources.map(source =>
    boxesTable(
      model,
      source,
      s.annotations.filter(a => a.source === source)
    )
  );
  const caption = sampleCaption(s);
  return [
    ...(caption === null
      ? []
      : [
          h('h3', { text: 'Caption' }),
          // Text (h() passes it through visibleText), never markup.
          h('p', { className: 'jp-VisionLens-sampleCaption', text: caption })
        ]),
    h('h3', { text: 'Fields' }),
    fieldsTable,
    h('h3', { text: `Boxes (${s.annotations.length})` }),
    ...boxesTables
  ];
}

/** `x, y · w × h` in tenths of a pixel. */
function boxText([x, y, w, h]: readonly number[]): string {
  const r = (v: number) => String(Math.round(v * 10) / 10);
  return `${r(x)}, ${r(y)} · ${r(w)} × ${r(h)}`;
}

/** The labels of one source, its name (text) as the caption. */
function boxesTable(
  model: IVisionLensModel,
  source: string,
  annotations: readonly IAnnotation[]
): HTMLTableElement {
  const isGT = source === GROUND_TRUTH;
  return h(
    'table',
    { className: 'jp-VisionLens-table jp-VisionLens-boxesTable' },
    h('caption', {
      text: `${isGT ? 'Ground truth' : source} (${annotations.length})`
    }),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ...['', 'label', ...(isGT ? [] : ['score']), 'x, y · w × h'].map(t =>
          h('th', { text: t })
        )
      )
    ),
    h(
      'tbody',
      {},
      ...annotations.map(a => {
        const swatch = h('span', { className: 'jp-VisionLens-swatch' });
        swatch.style.background = model.classColor(a.label);
        const flags = [a.iscrowd ? 'crowd' : '', a.difficult ? 'difficult' : '']
          .filter(Boolean)
          .join(' ');
        return h(
          'tr',
          {},
          h('td', {}, swatch),
          h('td', {
            className: 'jp-VisionLens-boxLabelCell',
            text: a.label + (flags ? ` (${flags})` : '')
          }),
          isGT
            ? null
            : h('td', { text: a.score === null ? '' : a.score.toFixed(3) }),
          h('td', { className: 'jp-VisionLens-boxCell', text: boxText(a.bbox) })
        );
      })
    )
  );
}
