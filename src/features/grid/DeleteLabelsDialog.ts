/**
 * "Delete labels of view…": the labels of one source (ground truth or a model)
 * on the grid's view (its selection, else the search results, else the
 * filter) deleted as one batch of the edit log. The server counts them first
 * and a second dialog asks to confirm that count; the deletion is undoable
 * (Undo in the sample view, `visionlens undo`), and every open view follows
 * through the server's labels event. The same path deletes the view's samples
 * themselves (every label, field and vector of theirs): the form's last choice,
 * confirmed with the count of samples and labels that go.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

import { fmtInt, h } from '../../base/dom';
import { row, select } from '../../ui/formControls';
import { currentView, IExportView } from '../../model/sources/exports';
import {
  countViewLabels,
  countViewSamples,
  deleteViewLabels as deleteLabels,
  deleteViewSamples as deleteSamples
} from '../../model/sources/bulk';
import {
  GROUND_TRUTH,
  IDeleteLabelsResult,
  IDeleteSamplesResult,
  IVisionLensModel
} from '../../model/tokens';
import { objectModels } from '../../model/objectModels';

/** The form's value that deletes the samples themselves (no source is named ''). */
export const THE_SAMPLES = '';

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

/** The sentence confirming the deletion of the view's samples. */
export function confirmSamplesText(
  dataset: string,
  view: IExportView,
  samples: number,
  labels: number
): string {
  const where =
    view.kind === 'filter'
      ? 'matching the current filter'
      : view.kind === 'selection'
        ? 'selected'
        : 'found';
  const noun = samples === 1 ? 'sample' : 'samples';
  const gone = `${fmtInt(labels)} ${labels === 1 ? 'label' : 'labels'}`;
  return (
    `Delete the ${fmtInt(samples)} ${noun} ${where} from “${dataset}”, ` +
    `with their ${gone}, tags, fields and vectors? This is one batch of ` +
    'the edit log: Undo puts every one back.'
  );
}

/** The first dialog's body: whose labels, or the samples themselves. */
export class DeleteLabelsForm
  extends Widget
  implements Dialog.IBodyWidget<string>
{
  constructor(sources: string[]) {
    super();
    this.addClass('jp-VisionLens-deleteLabelsForm');
    this._source = select('jp-VisionLens-deleteLabelsSource', 'Whose labels', [
      ...sources.map(s => [s, s] as [string, string]),
      [THE_SAMPLES, 'the samples themselves (every label, field, vector)']
    ]);
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
): Promise<IDeleteLabelsResult | IDeleteSamplesResult | null> {
  const view = currentView(model);
  const sources = [GROUND_TRUTH, ...objectModels(model.currentInfo)];
  const picked = await showDialog({
    title: 'Delete labels of view',
    body: new DeleteLabelsForm(sources),
    buttons: [Dialog.cancelButton(), Dialog.okButton({ label: 'Count…' })]
  });
  if (!picked.button.accept || picked.value === null) {
    return null;
  }
  const source = picked.value;
  if (source === THE_SAMPLES) {
    return deleteSamplesOfView(model, dataset, view);
  }
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

/** Count the view's samples on the server, confirm that count, delete them. */
async function deleteSamplesOfView(
  model: IVisionLensModel,
  dataset: string,
  view: IExportView
): Promise<IDeleteSamplesResult | null> {
  const title = 'Delete samples of view';
  const { samples, labels } = await countViewSamples(
    model,
    dataset,
    view.filter
  );
  if (samples === 0) {
    await showDialog({
      title,
      body: 'The view has no samples.',
      buttons: [Dialog.okButton()]
    });
    return null;
  }
  const confirmed = await showDialog({
    title,
    body: confirmSamplesText(dataset, view, samples, labels),
    buttons: [
      Dialog.cancelButton(),
      Dialog.warnButton({ label: `Delete ${fmtInt(samples)}` })
    ]
  });
  if (!confirmed.button.accept) {
    return null;
  }
  return deleteSamples(model, dataset, view.filter);
}
