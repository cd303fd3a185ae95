/**
 * "Export…": write the grid's view (its selection when there is one, else the
 * samples matching its filter) to COCO, YOLO, VOC, a class tree or Parquet in
 * a folder on the server; of a dataset of videos, its labelled frames, all of
 * them or every K-th. The export runs as a job: the jobs panel shows its
 * progress, rate and ETA.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

import { fmtInt, h } from '../../base/dom';
import { row, select } from '../../ui/formControls';
import {
  currentView,
  exportVersions,
  IExportView,
  startExport,
  viewText
} from '../../model/sources/exports';
import { datasetDetail, fileFormats } from '../../model/sources/datasets';
import { FrameMode, framesOption } from '../../model/frameChoices';
import {
  ExportFormat,
  ExportImages,
  GROUND_TRUTH,
  IExportRequest,
  IFileFormat,
  IFilter,
  IJob,
  ILabelVersion,
  IVisionLensModel
} from '../../model/tokens';
import { objectModels } from '../../model/objectModels';

const IMAGE_MODES: [ExportImages, string][] = [
  ['copy', 'copy the images'],
  ['symlink', 'link to the images'],
  ['none', 'labels only']
];

const FRAME_MODES: [FrameMode, string][] = [
  ['labelled', 'the labelled frames'],
  ['all', 'every frame'],
  ['every', 'every K-th frame']
];

/** What the form holds, as typed. */
export interface IExportForm {
  format: ExportFormat;
  out: string;
  source: string;
  /** As typed: empty for every label of a model. */
  minScore: string;
  images: ExportImages;
  overwrite: boolean;
  /** A saved version's number, as the select holds it; empty for the current labels. */
  version: string;
  /** Which frames of a dataset of videos; null for a dataset of still images. */
  frames: FrameMode | null;
  /** As typed: the K of every K-th frame. */
  everyK: string;
}

/** The folder an export of `dataset` as `format` goes to unless the user says otherwise. */
export function defaultOut(dataset: string, format: ExportFormat): string {
  const safe = dataset.replace(/[^\w.-]+/g, '_');
  return `visionlens-exports/${safe}-${format}`;
}

/**
 * The request of a filled form exporting the view `filter`; throws an Error
 * saying what to fix when the form cannot make one.
 */
export function exportRequest(
  form: IExportForm,
  filter: IFilter
): IExportRequest {
  const out = form.out.trim();
  if (!out) {
    throw new Error('Give the output folder (on the server).');
  }
  const request: IExportRequest = {
    format: form.format,
    out,
    filter,
    source: form.source,
    images: form.images,
    overwrite: form.overwrite
  };
  const typed = form.minScore.trim();
  if (form.source !== GROUND_TRUTH && typed !== '') {
    const score = Number(typed);
    if (!Number.isFinite(score) || score < 0 || score > 1) {
      throw new Error('The minimum score is a number from 0 to 1.');
    }
    request.min_score = score;
  }
  if (form.version !== '') {
    request.version = Number(form.version);
  }
  if (form.frames !== null) {
    request.frames = framesOption(form.frames, form.everyK);
  }
  return request;
}

/**
 * The export formats a dataset can write: all of `formats` for a dataset of
 * videos, those that write images (not `videos`) for one of still images.
 */
export function offeredFormats(
  formats: IFileFormat[],
  videos: boolean
): IFileFormat[] {
  return videos ? formats : formats.filter(f => !f.videos);
}

/** The dialog body: the form. */
export class ExportForm
  extends Widget
  implements Dialog.IBodyWidget<IExportForm>
{
  /**
   * `formats`: what the server writes (`GET /formats`), in its order;
   * `videos`: whether the dataset has videos (the frames row, and the formats
   * that write videos, are offered only then: the server refuses them for
   * still images).
   */
  constructor(
    dataset: string,
    sources: string[],
    view: IExportView,
    formats: IFileFormat[],
    versions: ILabelVersion[] = [],
    videos = false
  ) {
    super();
    this.addClass('jp-VisionLens-exportDialog');
    this._format = select(
      'jp-VisionLens-exportFormat',
      'Format',
      offeredFormats(formats, videos).map(f => [f.name, f.title])
    );
    this._out = h('input', {
      className: 'jp-VisionLens-exportOut jp-mod-styled',
      attrs: { 'aria-label': 'Output folder', spellcheck: 'false' }
    });
    this._out.value = defaultOut(dataset, this._format.value);
    this._out.addEventListener('input', () => (this._outEdited = true));
    this._format.addEventListener('change', () => {
      if (!this._outEdited) {
        this._out.value = defaultOut(
          dataset,
          this._format.value as ExportFormat
        );
      }
    });
    this._source = select(
      'jp-VisionLens-exportSource',
      'Labels',
      sources.map(s => [
        s,
        s === GROUND_TRUTH ? 'ground truth' : `predictions of ${s}`
      ])
    );
    this._minScore = h('input', {
      className: 'jp-VisionLens-exportMinScore jp-mod-styled',
      attrs: {
        type: 'number',
        min: '0',
        max: '1',
        step: '0.05',
        placeholder: 'all',
        'aria-label': 'Minimum score'
      }
    });
    const syncScore = () =>
      (this._minScore.disabled = this._source.value === GROUND_TRUTH);
    this._source.addEventListener('change', syncScore);
    syncScore();
    this._images = select('jp-VisionLens-exportImages', 'Images', IMAGE_MODES);
    this._overwrite = h('input', {
      className: 'jp-VisionLens-exportOverwrite',
      attrs: { type: 'checkbox', 'aria-label': 'Replace a non-empty folder' }
    });
    // the current labels, or a saved version's (offered only when there are some)
    this._version = select('jp-VisionLens-exportVersion', 'Labels as of', [
      ['', 'now (the current labels)'],
      ...versions
        .slice()
        .reverse()
        .map((v): [string, string] => [String(v.version), versionText(v)])
    ]);
    this._videos = videos;
    this._frames = select('jp-VisionLens-exportFrames', 'Frames', FRAME_MODES);
    this._everyK = h('input', {
      className: 'jp-VisionLens-exportEveryK jp-mod-styled',
      attrs: { type: 'number', min: '1', step: '1', 'aria-label': 'K' }
    });
    this._everyK.value = '10';
    const syncEvery = () =>
      (this._everyK.disabled = this._frames.value !== 'every');
    this._frames.addEventListener('change', syncEvery);
    syncEvery();
    const what = viewText(dataset, view);
    this.node.append(
      h('p', {
        text: `Export ${what}. The export runs as a job: the VisionLens jobs panel shows its progress.`
      }),
      row('Format', this._format),
      row('Output folder', this._out),
      h('p', {
        className: 'jp-VisionLens-exportNote',
        text: 'A folder on the server; a relative one lies under the file browser’s root.'
      }),
      row('Labels', this._source),
      ...(versions.length ? [row('As of', this._version)] : []),
      row('Min score', this._minScore),
      row('Images', this._images),
      ...(videos
        ? [row('Frames', h('span', {}, this._frames, ' K = ', this._everyK))]
        : []),
      h(
        'label',
        { className: 'jp-VisionLens-formRow' },
        this._overwrite,
        ' Replace the folder if it is not empty'
      )
    );
  }

  getValue(): IExportForm {
    return {
      format: this._format.value as ExportFormat,
      out: this._out.value,
      source: this._source.value,
      minScore: this._minScore.disabled ? '' : this._minScore.value,
      images: this._images.value as ExportImages,
      overwrite: this._overwrite.checked,
      version: this._version.value,
      frames: this._videos ? (this._frames.value as FrameMode) : null,
      everyK: this._everyK.value
    };
  }

  private _format: HTMLSelectElement;
  private _out: HTMLInputElement;
  private _outEdited = false;
  private _source: HTMLSelectElement;
  private _minScore: HTMLInputElement;
  private _images: HTMLSelectElement;
  private _overwrite: HTMLInputElement;
  private _version: HTMLSelectElement;
  private _videos: boolean;
  private _frames: HTMLSelectElement;
  private _everyK: HTMLInputElement;
}

/** A version as the select shows it: its number, message and size. */
function versionText(v: ILabelVersion): string {
  const message = v.message ? ` “${v.message}”` : '';
  return `version ${v.version}${message} (${fmtInt(v.annotations)} labels)`;
}

/**
 * Ask how to export the grid's view of `dataset` and start the job: the job,
 * or null when the user cancelled. A form that cannot make a request, or a
 * server that refuses it, rejects with the reason.
 */
export async function exportView(
  model: IVisionLensModel,
  dataset: string
): Promise<IJob | null> {
  const view = currentView(model);
  const sources = [GROUND_TRUTH, ...objectModels(model.currentInfo)];
  const [versions, formats, detail] = await Promise.all([
    exportVersions(model, dataset),
    fileFormats(model),
    datasetDetail(model, dataset)
  ]);
  const videos = (detail.num_videos ?? 0) > 0;
  const result = await showDialog({
    title: 'Export',
    body: new ExportForm(
      dataset,
      sources,
      view,
      formats.exports,
      versions,
      videos
    ),
    buttons: [Dialog.cancelButton(), Dialog.okButton({ label: 'Export' })]
  });
  if (!result.button.accept || result.value === null) {
    return null;
  }
  return startExport(model, dataset, exportRequest(result.value, view.filter));
}
