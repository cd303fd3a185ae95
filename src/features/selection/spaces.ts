/**
 * The space picker of the selection form: "(the newest)" (the server's
 * default) and the dataset's embedding spaces that hold vectors; the choice
 * is kept while still offered. Space names are option text, never HTML.
 */
import { clear, h } from '../../base/dom';
import { vectorSpaces } from '../../model/sources/datasets';
import { IVisionLensModel } from '../../model/tokens';

/** Offer "(the newest)" and the spaces of `dataset` that hold vectors. */
export async function fillSpaces(
  model: IVisionLensModel,
  select: HTMLSelectElement,
  dataset: string,
  signal: AbortSignal
): Promise<void> {
  const current = select.value;
  let spaces: string[] = [];
  try {
    spaces = (await vectorSpaces(model, dataset, signal))
      .filter(s => s.count > 0)
      .map(s => s.space);
  } catch {
    // no vector store here: the strategies without vectors still run
  }
  clear(select);
  select.append(h('option', { text: '(the newest)', attrs: { value: '' } }));
  for (const name of spaces) {
    select.append(h('option', { text: name, attrs: { value: name } }));
  }
  select.value = spaces.includes(current) ? current : '';
}
