/**
 * "Delete model…": one model of the dataset deleted with every prediction of
 * it (objects, image labels, label maps), its evaluations and its row. The
 * server counts what would go first and a second dialog asks to confirm that;
 * like an import, it is not undoable. Open views follow through the server's
 * dataset event.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

import { fmtInt, h } from '../../base/dom';
import { row, select } from '../../ui/formControls';
import { countModel, deleteModel } from '../../model/sources/bulk';
import { IDeleteModelResult, IVisionLensModel } from '../../model/tokens';

/** What would go of a model, in words (the parts it has). */
export function goneText(counted: IDeleteModelResult): string {
  const parts: [number, string, string][] = [
    [counted.objects, 'object', 'objects'],
    [counted.image_labels, 'image label', 'image labels'],
    [counted.label_maps, 'label map', 'label maps'],
    [counted.evaluations, 'evaluation', 'evaluations']
  ];
  const named = parts
    .filter(([n]) => n > 0)
    .map(([n, one, many]) => `${fmtInt(n)} ${n === 1 ? one : many}`);
  return named.length > 0 ? named.join(', ') : 'no predictions';
}

/** The sentence the confirmation asks, with the server's counts. */
export function confirmModelText(counted: IDeleteModelResult): string {
  return (
    `Delete the model “${counted.model}” from “${counted.dataset}”: ` +
    `${goneText(counted)}? This cannot be undone (import its predictions ` +
    'again to get them back).'
  );
}

/** The first dialog's body: which model. */
export class DeleteModelForm
  extends Widget
  implements Dialog.IBodyWidget<string>
{
  constructor(models: string[]) {
    super();
    this.addClass('jp-VisionLens-deleteModelForm');
    this._model = select(
      'jp-VisionLens-deleteModelName',
      'Model',
      models.map(m => [m, m] as [string, string])
    );
    this.node.append(
      h('p', {
        text: 'Delete a model with every prediction of it and its evaluations.'
      }),
      row('Model', this._model)
    );
  }

  getValue(): string {
    return this._model.value;
  }

  private _model: HTMLSelectElement;
}

/**
 * Ask which model, count what would go on the server, confirm and delete:
 * what went, or null when the user cancelled (or the dataset has no model,
 * which is said). A refusal rejects with the server's reason.
 */
export async function deleteModelOf(
  model: IVisionLensModel,
  dataset: string
): Promise<IDeleteModelResult | null> {
  const title = 'Delete model';
  const models = (model.currentInfo?.models ?? []).map(m => m.name);
  if (models.length === 0) {
    await showDialog({
      title,
      body: `“${dataset}” has no model.`,
      buttons: [Dialog.okButton()]
    });
    return null;
  }
  const picked = await showDialog({
    title,
    body: new DeleteModelForm(models),
    buttons: [Dialog.cancelButton(), Dialog.okButton({ label: 'Count…' })]
  });
  if (!picked.button.accept || !picked.value) {
    return null;
  }
  const counted = await countModel(model, dataset, picked.value);
  const confirmed = await showDialog({
    title,
    body: confirmModelText(counted),
    buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: 'Delete' })]
  });
  if (!confirmed.button.accept) {
    return null;
  }
  return deleteModel(model, dataset, picked.value);
}
