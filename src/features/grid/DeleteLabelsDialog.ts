/**
 * "Delete labels of view…": the labels of one source (ground truth or a model)
 * on the grid's view (its selection, else the search results, else the
 * filter) deleted as one batch of the edit log. The server counts them first
 * and a second dialog asks to confirm that count; the deletion is undoable
 * (Undo in the sample view, `visionlens undo`), and every open view follows
 * through the server's labels event.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

import { fmtInt, h } from '../../base/dom';
import { row, select } from './formControls';
import { currentView, IExportView } from '../../model/sources/exports';
import {
  countViewLabels,
  deleteViewLabels as deleteLabels
} from '../../model/sources/bulk';
import {
  GROUND_TRUTH,
  IDeleteLabelsResult,
  IVisionLensModel
} from '../../model/tokens';

/** The sentence the confirmation asks, with the count the server gave. */
export function confirmText(
  dataset: string,
  source: string,
  view: IExportView,
  deleted: number
): string {
  const labels = deleted === 1 ? 'label' : 'labels';
  const where =
    view.kind === 'filter'
      ? 'the samples matching the current filter'
      : `the ${fmtInt(view.count ?? 0)} ${view.kind === 'selection' ? 'selected' : 'found'} samples`;
  return (
    `Delete ${fmtInt(deleted)} ${labels} of “${source}” from ${where} of ` +
    `“${dataset}”? This is one batch of the edit log: Undo takes it back.`
  );
}

/** The first dialog's body: whose labels. */
export class DeleteLabelsForm
  extends Widget
  implements Dialog.IBodyWidget<string>
{
  constructor(sources: string[]) {
    super();
    this.addClass('jp-VisionLens-deleteLabelsForm');
    this._source = select(
      'jp-VisionLens-deleteLabelsSource',
      'Whose labels',
      sources.map(s => [s, s])
    );
    this.node.append(
      h('p', {
        text: 'Delete the labels of one source on the samples of the view.'
      }),
      row('Labels of', this._source)
    );
  }

  getValue(): string {
    return this._source.value;
  }

  private _source: HTMLSelectElement;
}

/**
 * Ask whose labels, count them on the server, confirm that count and delete
 * them: the batch's answer, or null when the user cancelled (or there was
 * nothing to delete, which is said). A refusal rejects with the reason.
 */
export async function deleteViewLabels(
  model: IVisionLensModel,
  dataset: string
): Promise<IDeleteLabelsResult | null> {
  const view = currentView(model);
  const sources = [
    GROUND_TRUTH,
    ...(model.currentInfo?.models ?? []).map(m => m.name)
  ];
  const picked = await showDialog({
    title: 'Delete labels of view',
    body: new DeleteLabelsForm(sources),
    buttons: [Dialog.cancelButton(), Dialog.okButton({ label: 'Count…' })]
  });
  if (!picked.button.accept || picked.value === null) {
    return null;
  }
  const source = picked.value;
  const deleted = await countViewLabels(model, dataset, view.filter, source);
  if (deleted === 0) {
    await showDialog({
      title: 'Delete labels of view',
      body: `The view has no labels of “${source}”.`,
      buttons: [Dialog.okButton()]
    });
    return null;
  }
  const confirmed = await showDialog({
    title: 'Delete labels of view',
    body: confirmText(dataset, source, view, deleted),
    buttons: [
      Dialog.cancelButton(),
      Dialog.warnButton({ label: `Delete ${fmtInt(deleted)}` })
    ]
  });
  if (!confirmed.button.accept) {
    return null;
  }
  return deleteLabels(model, dataset, view.filter, source);
}
