/**
 * The side tables of the sample view: fields (with "show on tiles" toggles)
 * and boxes. All values are set as text.
 */
import { GROUND_TRUTH, ISample, IVisionLensModel } from '../../model/tokens';
import { fmtValue, h } from '../../base/dom';

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
  const boxesTable = h(
    'table',
    { className: 'jp-VisionLens-table jp-VisionLens-boxesTable' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ...['', 'label', 'source', 'score', 'x', 'y', 'w', 'h'].map(t =>
          h('th', { text: t })
        )
      )
    ),
    h(
      'tbody',
      {},
      ...s.annotations.map(a => {
        const swatch = h('span', { className: 'jp-VisionLens-swatch' });
        swatch.style.background = model.classColor(a.label);
        const flags = [a.iscrowd ? 'crowd' : '', a.difficult ? 'difficult' : '']
          .filter(Boolean)
          .join(' ');
        return h(
          'tr',
          {},
          h('td', {}, swatch),
          h('td', { text: a.label + (flags ? ` (${flags})` : '') }),
          h('td', { text: a.source === GROUND_TRUTH ? 'GT' : a.source }),
          h('td', { text: a.score === null ? '' : a.score.toFixed(3) }),
          ...a.bbox.map(v => h('td', { text: String(Math.round(v * 10) / 10) }))
        );
      })
    )
  );
  return [
    h('h3', { text: 'Fields' }),
    fieldsTable,
    h('h3', { text: `Boxes (${s.annotations.length})` }),
    boxesTable
  ];
}
