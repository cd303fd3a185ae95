/**
 * "Merge another dataset into this one…": pick the dataset whose samples come
 * in and what matches two samples (the file name or the source's image id),
 * then start the merge as a job on the server. Matched samples get the other
 * dataset's labels appended, the others are added with their vectors; the
 * jobs panel shows the job and the grid reloads when it is done (the job's
 * effects name samples, predictions and fields: `src/model/jobEffects.ts`).
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

import { h } from '../../base/dom';
import { row } from '../../ui/formControls';
import { startMerge } from '../../model/sources/exports';
import { IJob, IMergeRequest, IVisionLensModel } from '../../model/tokens';

/** What matches a sample of the merged dataset to one of this dataset. */
export type MergeKey = IMergeRequest['key'];

/** The keys offered, with their words in the dialog. */
export const MERGE_KEYS: ReadonlyArray<[MergeKey, string]> = [
  ['file_name', 'File name'],
  ['image_id', 'Image id (of the source format)']
];

/** What the form holds: the dataset merged in and the key. */
export interface IMergeChoice {
  from: string;
  key: string;
}

/** The datasets that can be merged into `target`: every other one. */
export function mergeSources(target: string, datasets: string[]): string[] {
  return datasets.filter(name => name !== target);
}

/**
 * The request merging the chosen dataset into `target`; throws an Error
 * saying what to fix when nothing is chosen, the choice is `target` itself
 * or no dataset of the list (`datasets`), or the key is not one offered.
 */
export function mergeRequest(
  choice: IMergeChoice,
  target: string,
  datasets: string[]
): IMergeRequest {
  const from = choice.from.trim();
  if (!from) {
    throw new Error('Choose the dataset to merge.');
  }
  if (from === target) {
    throw new Error(`“${target}” cannot be merged into itself.`);
  }
  if (!datasets.includes(from)) {
    throw new Error(`There is no dataset named “${from}”.`);
  }
  const key = MERGE_KEYS.find(([k]) => k === choice.key)?.[0];
  if (!key) {
    throw new Error(
      `Match samples by file name or image id, not “${choice.key}”.`
    );
  }
  return { from, key };
}

/** The dialog's body: the dataset merged in, the key and what will happen. */
export class MergeForm
  extends Widget
  implements Dialog.IBodyWidget<IMergeChoice>
{
  constructor(target: string, sources: string[]) {
    super();
    this.addClass('jp-VisionLens-mergeForm');
    this._from = h('select', {
      className: 'jp-VisionLens-mergeFrom jp-mod-styled',
      attrs: { 'aria-label': 'Dataset to merge' }
    });
    this._from.append(
      ...sources.map(name =>
        h('option', { text: name, attrs: { value: name } })
      )
    );
    this._key = h('select', {
      className: 'jp-VisionLens-mergeKey jp-mod-styled',
      attrs: { 'aria-label': 'Match samples by' }
    });
    this._key.append(
      ...MERGE_KEYS.map(([key, words]) =>
        h('option', { text: words, attrs: { value: key } })
      )
    );
    this.node.append(
      h('p', {
        text:
          `Samples of the chosen dataset matching one of “${target}” get ` +
          'their labels and predictions appended to it; the others are added ' +
          'with their tags, fields and embeddings. The chosen dataset stays as ' +
          'it is. A match whose image sizes differ is left out and reported; ' +
          'classes this dataset lacks are added. It cannot be undone.'
      }),
      row('Merge', this._from),
      row('Match by', this._key)
    );
  }

  getValue(): IMergeChoice {
    return { from: this._from.value, key: this._key.value };
  }

  private _from: HTMLSelectElement;
  private _key: HTMLSelectElement;
}

/**
 * Ask which dataset to merge into `dataset` and by which key, and start the
 * job: the job, or null when the user cancelled. No other dataset, a choice
 * that cannot be merged, or a server that refuses the request (a key two
 * samples share, say) rejects with the reason.
 */
export async function mergeInto(
  model: IVisionLensModel,
  dataset: string
): Promise<IJob | null> {
  const names = model.datasets.map(d => d.name);
  const sources = mergeSources(dataset, names);
  if (!sources.length) {
    throw new Error(`There is no other dataset to merge into “${dataset}”.`);
  }
  const result = await showDialog({
    title: `Merge another dataset into “${dataset}”`,
    body: new MergeForm(dataset, sources),
    buttons: [Dialog.cancelButton(), Dialog.okButton({ label: 'Merge' })]
  });
  if (!result.button.accept || result.value === null) {
    return null;
  }
  return startMerge(model, dataset, mergeRequest(result.value, dataset, names));
}
