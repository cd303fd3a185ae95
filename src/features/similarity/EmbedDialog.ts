/**
 * "Compute embeddings": pick a model (`GET /models`: name, dimension, whether
 * its weights are on this machine, text search, the default marked) and start
 * the job; its progress shows in the jobs panel.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

import { h } from '../../base/dom';
import {
  embeddingModels,
  startEmbedding
} from '../../model/sources/similarity';
import { IEmbeddingModel, IJob, IVisionLensModel } from '../../model/tokens';

/** How the picker names a model (all of it text). */
export function describeModel(m: IEmbeddingModel): string {
  const parts = [m.pretrained ? `${m.name} (${m.pretrained})` : m.name];
  parts.push(m.dim ? `${m.dim}-d` : 'dimension unknown');
  parts.push(m.text ? 'text search' : 'no text search');
  if (!m.available_offline) {
    parts.push('weights not on this machine');
  }
  if (m.default) {
    parts.push('default');
  }
  return parts.join(' · ');
}

/**
 * The embed request of a listed model: a checkpoint row (its `pretrained` is a
 * path) sends the path as the checkpoint, a tag row `ARCH:TAG`.
 */
export function embedRequestOf(m: IEmbeddingModel): {
  model: string;
  checkpoint?: string;
} {
  if (m.pretrained && m.pretrained.includes('/')) {
    return { model: m.name, checkpoint: m.pretrained };
  }
  return { model: m.pretrained ? `${m.name}:${m.pretrained}` : m.name };
}

/** The dialog body: a select of the models. */
class ModelPicker extends Widget implements Dialog.IBodyWidget<number> {
  constructor(dataset: string, models: IEmbeddingModel[]) {
    super();
    this.addClass('jp-VisionLens-embedDialog');
    this._select = h('select', {
      className: 'jp-VisionLens-embedModel jp-mod-styled',
      attrs: { 'aria-label': 'Embedding model' }
    });
    models.forEach((m, index) => {
      const option = h('option', { text: describeModel(m) });
      option.value = String(index);
      option.disabled = !m.available_offline;
      option.selected = m.default;
      this._select.append(option);
    });
    this.node.append(
      h('p', {
        text: `Embed the samples of “${dataset}” that have no vector of this model yet. Progress shows in the VisionLens jobs panel.`
      }),
      h('label', {}, 'Model ', this._select)
    );
  }

  getValue(): number {
    return Number(this._select.value);
  }

  private _select: HTMLSelectElement;
}

/**
 * Ask for a model and start the embedding job of `dataset`: the job, or null
 * when the user cancelled.
 */
export async function computeEmbeddings(
  model: IVisionLensModel,
  dataset: string
): Promise<IJob | null> {
  const models = await embeddingModels(model);
  const result = await showDialog({
    title: 'Compute embeddings',
    body: new ModelPicker(dataset, models),
    buttons: [Dialog.cancelButton(), Dialog.okButton({ label: 'Compute' })]
  });
  if (!result.button.accept || result.value === null) {
    return null;
  }
  return startEmbedding(model, dataset, embedRequestOf(models[result.value]));
}
