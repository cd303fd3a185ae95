/**
 * "Run a model…": a detector, a zero-shot classifier, a captioner or a VLM
 * over the dataset or the grid's view (its selection, search results or
 * filter), as a job followed in the jobs panel; on a dataset of videos, the
 * frames to run on. The model is named as the server finds it offline: a
 * checkpoint folder, a hub id in the local cache, or `torchvision:BUILDER`.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

import { h } from '../../base/dom';
import { datasetDetail } from '../../model/sources/datasets';
import {
  currentView,
  IExportView,
  viewText
} from '../../model/sources/exports';
import { startPredict } from '../../model/sources/modelJobs';
import { IJob, IPredictRequest, IVisionLensModel } from '../../model/tokens';
import { FramesPicker } from '../../ui/framesPicker';
import { row, select } from '../../ui/formControls';
import { FrameMode, framesOption } from '../../model/frameChoices';

/** What the model does. */
export type PredictTask = 'detect' | 'classify' | 'caption' | 'vlm';

/** The tasks with their texts, in the select's order. */
export const TASKS: [PredictTask, string][] = [
  ['detect', 'Detect objects (a transformers or torchvision detector)'],
  ['classify', 'Classify, zero-shot (an open_clip model; classes as prompts)'],
  ['caption', 'Caption (an image-to-text model)'],
  ['vlm', 'Answer questions (a VLM: lighting, weather, occlusion, …)']
];

/** The filled form, as typed. */
export interface IPredictForm {
  task: PredictTask;
  model: string;
  name: string;
  /** comma-separated */
  classes: string;
  minScore: string;
  device: 'auto' | 'cpu' | 'cuda';
  /** run on the grid's view (else the whole dataset) */
  view: boolean;
  /** the frames choice; null for a dataset of still images */
  frames: FrameMode | null;
  /** the number typed beside it */
  framesValue: string;
}

/**
 * The predict request of a filled form on `view`; throws an Error saying
 * what to fix (no model, a score outside 0–1, classes on a task without
 * them, a frames number that cannot be one).
 */
export function predictRequest(
  form: IPredictForm,
  view: IExportView
): IPredictRequest {
  const model = form.model.trim();
  if (!model) {
    throw new Error(
      'Name the model: a checkpoint folder, a hub id in the local cache or torchvision:BUILDER.'
    );
  }
  const request: IPredictRequest = { model, task: form.task };
  const name = form.name.trim();
  if (name) {
    request.name = name;
  }
  const classes = [
    ...new Set(
      form.classes
        .split(',')
        .map(c => c.trim())
        .filter(c => c)
    )
  ];
  if (classes.length > 0) {
    if (form.task !== 'detect' && form.task !== 'classify') {
      throw new Error('Classes are the prompts of a detector or a classifier.');
    }
    request.classes = classes;
  }
  const score = form.minScore.trim();
  if (score) {
    const value = Number(score);
    if (!Number.isFinite(value) || value < 0 || value > 1) {
      throw new Error('The minimum score is a number from 0 to 1.');
    }
    request.min_score = value;
  }
  if (form.device !== 'auto') {
    request.device = form.device;
  }
  if (form.view) {
    request.filter = view.filter;
  }
  if (form.frames !== null) {
    request.frames = framesOption(form.frames, form.framesValue);
  }
  return request;
}

function input(className: string, label: string, placeholder = '') {
  return h('input', {
    className: `${className} jp-mod-styled`,
    attrs: { 'aria-label': label, placeholder, spellcheck: 'false' }
  });
}

/** The dialog's body. */
export class PredictForm
  extends Widget
  implements Dialog.IBodyWidget<IPredictForm>
{
  constructor(dataset: string, view: IExportView, videos: boolean) {
    super();
    this.addClass('jp-VisionLens-predictForm');
    const c = 'jp-VisionLens-predict';
    this._task = select(`${c}Task`, 'Task', TASKS);
    this._model = input(
      `${c}Model`,
      'Model',
      'checkpoint folder, cached hub id or torchvision:BUILDER'
    );
    this._name = input(`${c}Name`, 'Prediction set name', 'the model’s name');
    this._classes = input(
      `${c}Classes`,
      'Classes',
      'comma-separated (default: the dataset’s)'
    );
    this._minScore = input(`${c}MinScore`, 'Minimum score', '0–1');
    this._device = select(`${c}Device`, 'Device', [
      ['auto', 'auto (a GPU when the server has one)'],
      ['cpu', 'CPU'],
      ['cuda', 'CUDA GPU']
    ]);
    this._scope = select(`${c}Scope`, 'Run on', [
      ['view', viewText(dataset, view)],
      ['all', `every sample of “${dataset}”`]
    ]);
    this._frames = videos ? new FramesPicker(c) : null;
    const classesRow = row('Classes', this._classes);
    const syncTask = () => {
      const task = this._task.value as PredictTask;
      classesRow.hidden = task !== 'detect' && task !== 'classify';
    };
    this._task.addEventListener('change', syncTask);
    syncTask();
    this.node.append(
      h('p', {
        text:
          'Runs the model in the background (images it already did are ' +
          'skipped) and stores its output as a prediction set; progress ' +
          'shows in the jobs panel. Nothing is downloaded.'
      }),
      row('Task', this._task),
      row('Model', this._model),
      row('Name', this._name),
      classesRow,
      row('Minimum score', this._minScore),
      row('Device', this._device),
      row('Run on', this._scope),
      ...(this._frames ? [this._frames.node] : [])
    );
  }

  getValue(): IPredictForm {
    return {
      task: this._task.value as PredictTask,
      model: this._model.value,
      name: this._name.value,
      classes: this._classes.value,
      minScore: this._minScore.value,
      device: this._device.value as IPredictForm['device'],
      view: this._scope.value === 'view',
      frames: this._frames ? this._frames.mode : null,
      framesValue: this._frames ? this._frames.value.value : ''
    };
  }

  private _task: HTMLSelectElement;
  private _model: HTMLInputElement;
  private _name: HTMLInputElement;
  private _classes: HTMLInputElement;
  private _minScore: HTMLInputElement;
  private _device: HTMLSelectElement;
  private _scope: HTMLSelectElement;
  private _frames: FramesPicker | null;
}

/**
 * Ask what to run and start the predictions job on `dataset`: the job, or
 * null when the user cancelled. A form that cannot be sent, or a server that
 * refuses the request (missing weights: where it looked), rejects with the
 * reason.
 */
export async function runModel(
  model: IVisionLensModel,
  dataset: string
): Promise<IJob | null> {
  const view = currentView(model);
  const detail = await datasetDetail(model, dataset);
  const result = await showDialog({
    title: 'Run a model',
    body: new PredictForm(dataset, view, (detail.num_videos ?? 0) > 0),
    buttons: [Dialog.cancelButton(), Dialog.okButton({ label: 'Run' })]
  });
  if (!result.button.accept || result.value === null) {
    return null;
  }
  return startPredict(model, dataset, predictRequest(result.value, view));
}
