/**
 * The blind-spots panel's pickers (dataset, evaluated model, cluster space):
 * options filled from the model's lists, the choice kept when still offered.
 * Names are dataset strings: option text, never HTML.
 */
import { clear, h } from '../../base/dom';
import { vectorSpaces } from '../../model/sources/datasets';
import { IVisionLensModel } from '../../model/tokens';

/** A styled, labelled, empty select. */
export function pickerSelect(label: string): HTMLSelectElement {
  return h('select', {
    className: 'jp-mod-styled',
    attrs: { 'aria-label': label }
  });
}

/** Offer `names` after "(choose)"; the current dataset stays chosen if listed. */
export function fillDatasets(
  select: HTMLSelectElement,
  names: readonly string[],
  current: string
): void {
  clear(select);
  select.append(h('option', { text: '(choose)', attrs: { value: '' } }));
  for (const name of names) {
    select.append(h('option', { text: name, attrs: { value: name } }));
  }
  select.value = names.includes(current) ? current : '';
}

/** Offer the evaluated models `names`, keeping the choice when still offered. */
export function fillModels(
  select: HTMLSelectElement,
  names: readonly string[]
): void {
  const current = select.value;
  clear(select);
  for (const name of names) {
    select.append(h('option', { text: name, attrs: { value: name } }));
  }
  if (names.includes(current)) {
    select.value = current;
  }
}

/** Offer "(none)" and the dataset's vector spaces that hold vectors. */
export async function fillSpaces(
  model: IVisionLensModel,
  select: HTMLSelectElement,
  dataset: string,
  signal: AbortSignal
): Promise<void> {
  const current = select.value;
  clear(select);
  select.append(h('option', { text: '(none)', attrs: { value: '' } }));
  let spaces: string[] = [];
  try {
    spaces = (await vectorSpaces(model, dataset, signal))
      .filter(s => s.count > 0)
      .map(s => s.space);
  } catch {
    // no vector store here (or it is busy): slicing works without clusters
  }
  for (const name of spaces) {
    select.append(h('option', { text: name, attrs: { value: name } }));
  }
  select.value = spaces.includes(current) ? current : '';
}
