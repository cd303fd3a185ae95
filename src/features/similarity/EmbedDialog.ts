/**
 * "Compute embeddings": pick a model (`GET /models`: name, dimension, whether
 * its weights are on this machine, text search, the default marked) and, for
 * a dataset of videos, which frames (all, every K-th, R a second, scene
 * starts), and start the job; its progress shows in the jobs panel.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

import { h } from '../../base/dom';
import { FrameMode, framesOption } from '../../model/frameChoices';
import { FramesPicker } from '../../ui/framesPicker';
import { datasetDetail } from '../../model/sources/datasets';
import {
  embeddingModels,
  startEmbedding
} from '../../model/sources/similarity';
import {
  IEmbeddingModel,
  IEmbedRequest,
  IJob,
  IVisionLensModel
} from '../../model/tokens';

/** What the picker holds: the model's index and, for videos, the frames as typed. */
export interface IEmbedForm {
  model: number;
  /** null for a dataset of still images */
  frames: FrameMode | null;
  /** the number beside the frames choice, as typed */
  framesValue: string;
}

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

/**
 * The embed request of a filled picker; throws an Error saying what to fix
 * when its frames number cannot be one.
 */
export function embedRequest(
  form: IEmbedForm,
  models: IEmbeddingModel[]
): IEmbedRequest {
  const request: IEmbedRequest = embedRequestOf(models[form.model]);
  if (form.frames !== null) {
    request.frames = framesOption(form.frames, form.framesValue);
  }
  return request;
}

/**
 * The dialog body: a select of the models and, when `videos` (the dataset
 * has some), of the frames to embed.
 */
export class ModelPicker
  extends Widget
  implements Dialog.IBodyWidget<IEmbedForm>
{
  constructor(dataset: string, models: IEmbeddingModel[], videos = false) {
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
    this._videos = videos;
    this._frames = new FramesPicker('jp-VisionLens-embed');
    if (videos) {
      this.node.append(this._frames.node);
    }
  }

  getValue(): IEmbedForm {
    return {
      model: Number(this._select.value),
      frames: this._videos ? this._frames.mode : null,
      framesValue: this._frames.value.value
    };
  }

  private _select: HTMLSelectElement;
  private _videos: boolean;
  private _frames: FramesPicker;
}

/**
 * Ask for a model and start the embedding job of `dataset`: the job, or null
 * when the user cancelled.
 */
export async function computeEmbeddings(
  model: IVisionLensModel,
  dataset: string
): Promise<IJob | null> {
  const [models, detail] = await Promise.all([
    embeddingModels(model),
    datasetDetail(model, dataset)
  ]);
  const videos = (detail.num_videos ?? 0) > 0;
  const result = await showDialog({
    title: 'Compute embeddings',
    body: new ModelPicker(dataset, models, videos),
    buttons: [Dialog.cancelButton(), Dialog.okButton({ label: 'Compute' })]
  });
  if (!result.button.accept || result.value === null) {
    return null;
  }
  return startEmbedding(model, dataset, embedRequest(result.value, models));
}
