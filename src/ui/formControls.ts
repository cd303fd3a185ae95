/**
 * The controls of the grid's dialog forms (export, Label Studio): a labelled
 * row and a select of (value, text) options. Option texts may be dataset text
 * (class or model names): set as text, never markup.
 */
import { h } from '../base/dom';

/** A select of `options` (value, text), named `label` for assistive technology. */
export function select(
  className: string,
  label: string,
  options: [string, string][]
): HTMLSelectElement {
  const el = h('select', {
    className: `${className} jp-mod-styled`,
    attrs: { 'aria-label': label }
  });
  for (const [value, text] of options) {
    const option = h('option', { text });
    option.value = value;
    el.append(option);
  }
  return el;
}

/** A form row: `label` beside `control`. */
export function row(label: string, control: HTMLElement): HTMLElement {
  return h(
    'label',
    { className: 'jp-VisionLens-formRow' },
    h('span', { text: label }),
    control
  );
}
