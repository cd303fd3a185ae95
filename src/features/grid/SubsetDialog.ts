/**
 * "New dataset from view…": copy the grid's view (its selection when there is
 * one, else the search results, else the samples matching its filter) into a
 * new dataset. The copy runs as a job on the server (labels, predictions,
 * evaluations' per-object results, tags, fields and embeddings' vectors; media
 * shared); the jobs panel shows it and the datasets list gains the new one.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

import { h } from '../../base/dom';
import { row } from '../../ui/formControls';
import {
  currentView,
  IExportView,
  startSubset,
  viewText
} from '../../model/sources/exports';
import { IJob, ISubsetRequest, IVisionLensModel } from '../../model/tokens';

/**
 * The request copying the view `view` into the dataset named `typed`; throws
 * an Error saying what to fix when the name cannot be one, or when it is
 * already a dataset's (`taken`).
 */
export function subsetRequest(
  typed: string,
  view: IExportView,
  taken: string[]
): ISubsetRequest {
  const to = typed.trim();
  if (!to) {
    throw new Error('Give the new dataset a name.');
  }
  if (taken.includes(to)) {
    throw new Error(`A dataset named “${to}” exists already.`);
  }
  return { to, filter: view.filter };
}

/** The dialog's body: what is copied and the new dataset's name. */
export class SubsetForm extends Widget implements Dialog.IBodyWidget<string> {
  constructor(dataset: string, view: IExportView) {
    super();
    this.addClass('jp-VisionLens-subsetForm');
    this._name = h('input', {
      className: 'jp-VisionLens-subsetName jp-mod-styled',
      attrs: { 'aria-label': 'New dataset name', spellcheck: 'false' }
    });
    this._name.value = `${dataset}-subset`;
    this.node.append(
      h('p', {
        text:
          `Copies ${viewText(dataset, view)} with their labels, predictions, ` +
          'evaluation results, tags, fields and embeddings into a new dataset. ' +
          'The images are shared, not copied.'
      }),
      row('Name', this._name)
    );
  }

  getValue(): string {
    return this._name.value;
  }

  private _name: HTMLInputElement;
}

/**
 * Ask for the new dataset's name and start the copy of the grid's view of
 * `dataset`: the job, or null when the user cancelled. A name that cannot be
 * used, or a server that refuses the request, rejects with the reason.
 */
export async function subsetView(
  model: IVisionLensModel,
  dataset: string
): Promise<IJob | null> {
  const view = currentView(model);
  const result = await showDialog({
    title: 'New dataset from view',
    body: new SubsetForm(dataset, view),
    buttons: [
      Dialog.cancelButton(),
      Dialog.okButton({ label: 'Create dataset' })
    ]
  });
  if (!result.button.accept || result.value === null) {
    return null;
  }
  const taken = model.datasets.map(d => d.name);
  return startSubset(model, dataset, subsetRequest(result.value, view, taken));
}
