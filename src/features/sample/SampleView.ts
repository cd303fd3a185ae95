/**
 * Sample view: the full image (`SampleStage`: zoom, pan, boxes, polygons),
 * per-source toggles, fields and boxes tables, the sections other extensions
 * register, previous / next (`step`, also ←/→ through the plugin's commands),
 * tag / untag, and "more like this" (`moreLikeThis`, given by the plugin);
 * the toolbars above the image are `sampleHeader`'s.
 */
import { CommandRegistry } from '@lumino/commands';
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { nameTab } from '../../ui/panelNames';
import { IDataChange, ISample, IVisionLensModel } from '../../model/tokens';
import { fmtInt, h, replaceKeepingFocus } from '../../base/dom';
import { keypointClasses, LabelTypeToggles } from '../../model/labels';
import { embedWidget } from '../../ui/toolbar';
import { renderSampleSections } from '../../ui/contributions';
import { VersionBanner } from '../../ui/VersionBanner';
import { SampleEditing } from './SampleEditing';
import { sampleHeader } from './sampleHeader';
import { SampleStage } from './SampleStage';
import { sampleTables } from './sampleTables';
import { SampleImageLabel } from './sampleImageLabel';
import { SampleTagging } from './sampleTagging';
import { sourceToggles } from './sourceToggles';
import { VideoPlayer } from './VideoPlayer';
import { IRowPlace, locateSample, sampleAt } from '../../model/sources/rows';
import { getSample, imageUrl, maskUrl } from '../../model/sources/samples';
import {
  colouringEvaluation,
  evaluationLabel,
  FrameEvaluation
} from '../../model/sources/evaluations';
import { visibleText } from '../../base/dataText';

/** Not a row of the view (nothing shown yet). */
const NOWHERE: IRowPlace = { index: null, total: null, inView: false };
/** How long a frame stays shown before its row in the view is looked for. */
const LOCATE_AFTER_MS = 300;
/**
 * While a video plays, how often (ms) the side tables follow its frames:
 * rebuilding them for each frame takes the main thread from the frames
 * themselves. The frame last shown gets its tables at most this long after.
 */
export const SIDE_WHILE_PLAYING_MS = 250;

/** The sample view panel (one, reused for every sample). */
export class SampleView extends Widget {
  constructor(
    model: IVisionLensModel,
    commands: CommandRegistry,
    moreLikeThis?: (id: number) => void
  ) {
    super();
    this.model = model;
    this.id = 'visionlens-sample';
    this.addClass('jp-VisionLens-sample');
    nameTab(this.title, 'sample');
    this.title.closable = true;
    this.node.tabIndex = 0;

    this._name = h('span', { className: 'jp-VisionLens-sampleName' });
    this._position = h('span', { className: 'jp-VisionLens-samplePosition' });
    this._sources = h('span', { className: 'jp-VisionLens-sources' });
    this._tagging = new SampleTagging(model, this.node, () => this._sample);
    this._imageLabel = new SampleImageLabel(
      model,
      this.node,
      () => this._sample
    );

    this._stage = new SampleStage(model, this.labelTypes);
    this.labelTypes.changed.connect(this._onLabelTypes, this);
    model.evalKeyChanged.connect(this._onEvalKeyChanged, this);
    this.editing = new SampleEditing(
      model,
      commands,
      this._stage,
      () => this._sample
    );
    this._side = h('div', { className: 'jp-VisionLens-sampleSide' });
    this._frameEvaluation = new FrameEvaluation(model);
    this.video = new VideoPlayer(model, {
      showFrame: (sample, delta, picture) =>
        this._showFrame(sample, delta, picture),
      frameEvaluation: () =>
        this.labelTypes.evalColours && model.dataset
          ? this._frameEvaluation.get(model.dataset, model.query.filter)
          : Promise.resolve(null)
    });
    // the counter names the frame the stage draws, once its image decoded
    this._stage.shown.connect((_, sample) => this.video.frameShown(sample));
    this._status = h('div', { className: 'jp-VisionLens-gridStatus' });

    const header = sampleHeader({
      commands,
      stage: this._stage,
      editing: this.editing,
      tagging: this._tagging,
      imageLabel: this._imageLabel,
      labelTypes: this.labelTypes,
      position: this._position,
      name: this._name,
      sources: this._sources,
      moreLikeThis:
        moreLikeThis &&
        (() => this._sample && moreLikeThis(this._sample.sample_id))
    });
    const { message, hint, masking } = this.editing;
    this._stage.notes.append(message, hint, masking.status);
    const banner = new VersionBanner(model);
    this.node.append(
      banner.node,
      header.node,
      this._status,
      h(
        'div',
        { className: 'jp-VisionLens-sampleBody' },
        this._stage.node,
        this._side
      ),
      this.video.node
    );

    for (const widget of [banner, ...header.toolbars]) {
      embedWidget(this, widget);
    }
    model.viewChanged.connect(() => this._stage.redraw(), this);
    model.extensions.changed.connect(this._onExtensionsChanged, this);
    model.datasetsChanged.connect(this._renderSources, this);
    model.dataChanged.connect(this._reload, this);
    model.datasetChanged.connect(this._onDatasetChanged, this);
  }

  readonly model: IVisionLensModel;
  /** Editing the shown sample's labels (the plugin's edit commands run its actions). */
  readonly editing: SampleEditing;
  /** The label types drawn (toolbar and settings). */
  readonly labelTypes = new LabelTypeToggles();
  /** The video view, while the sample is a frame of a video. */
  readonly video: VideoPlayer;

  /** The sample shown. */
  get sample(): ISample | null {
    return this._sample;
  }

  /** The shown sample's position in the current filter, if known. */
  get index(): number | null {
    return this._place.index;
  }

  /** Show a sample; `index` is its position in the current filter, if known. */
  async showSample(sampleId: number, index?: number | null): Promise<void> {
    const dataset = this.model.dataset;
    if (!dataset) {
      return;
    }
    this._ctl?.abort();
    const ctl = (this._ctl = new AbortController());
    try {
      const evaluation = this.labelTypes.evalColours
        ? await colouringEvaluation(
            this.model,
            dataset,
            this.model.query.filter,
            ctl.signal
          ).catch(() => null)
        : null;
      const [sample, classes] = await Promise.all([
        getSample(this.model, dataset, sampleId, ctl.signal, evaluation),
        keypointClasses(this.model, dataset)
      ]);
      if (ctl.signal.aborted) {
        return;
      }
      this.labelTypes.setEvaluationShown(
        evaluation ? evaluationLabel(evaluation) : null
      );
      this._stage.keypointClasses = classes;
      this._sample = sample;
      this._place = await locateSample(
        this.model,
        sampleId,
        index ?? null,
        ctl.signal
      );
      this._render();
    } catch (error) {
      if ((error as Error).name !== 'AbortError') {
        this._status.textContent = `Could not load the sample: ${(error as Error).message}`;
        this._status.hidden = false;
      }
    }
  }

  /** Go `delta` rows on in the view's order (in a video: `delta` frames). */
  async step(delta: number): Promise<void> {
    if (this.video.active) {
      return this.video.step(delta);
    }
    const { index, total } = this._place;
    if (!this.model.dataset || index === null) {
      return;
    }
    const target = index + delta;
    if (target < 0 || (total !== null && target >= total)) {
      return;
    }
    const next = await sampleAt(this.model, target);
    this._place = { ...this._place, total: next.total };
    if (next.sampleId !== null) {
      await this.showSample(next.sampleId, target);
    }
  }

  protected onActivateRequest(msg: Message): void {
    this.node.focus();
  }

  dispose(): void {
    if (!this.isDisposed) {
      window.clearTimeout(this._sideTimer);
      this._stage.dispose();
      this.video.dispose();
    }
    super.dispose();
  }

  private _onDatasetChanged(): void {
    this._sample = null;
    this._place = NOWHERE;
    this._render();
  }

  /** Another evaluation picked: with TP/FP/FN on, its statuses are read. */
  private _onEvalKeyChanged(): void {
    const shown = this._sample;
    this.video.labelsChanged(); // frames loaded ahead carry the old statuses
    if (shown && this.labelTypes.evalColours) {
      void this.showSample(shown.sample_id, this._place.index);
    }
  }

  /** Draw the toggled types; TP/FP/FN colours need the boxes' statuses. */
  private _onLabelTypes(): void {
    const shown = this._sample;
    if (this.labelTypes.evalColours !== this._framesColoured) {
      this._framesColoured = this.labelTypes.evalColours;
      this.video.labelsChanged(); // frames loaded ahead: with statuses, or without
    }
    const unjudged = shown?.annotations.every(a => a.status === undefined);
    if (shown && this.labelTypes.evalColours && unjudged) {
      void this.showSample(shown.sample_id, this._place.index);
    }
    this._stage.redraw();
  }

  /** Data changed: show the sample again if the write may have touched it. */
  private _reload(_: IVisionLensModel, change: IDataChange): void {
    const shown = this._sample;
    if (
      shown &&
      change.dataset === this.model.dataset &&
      (change.ids === null || change.ids.includes(shown.sample_id))
    ) {
      if (change.kind === 'labels') {
        this.editing.labelsChanged();
      }
      this.video.labelsChanged();
      this._frameEvaluation.clear(); // an evaluation may have been written
      void this.showSample(shown.sample_id, this._place.index);
    }
  }

  /** A frame the video player loaded with its image: shown at once; its row
   * in the view is looked for once it stays shown (not while playing). */
  private _showFrame(
    sample: ISample,
    delta: number,
    picture?: HTMLCanvasElement
  ): void {
    this._ctl?.abort();
    const { index } = this._place;
    this._sample = sample;
    this._place = { ...this._place, index: null }; // until located
    this._render(picture);
    const ctl = (this._ctl = new AbortController());
    const hint = index === null ? null : index + delta;
    setTimeout(() => {
      if (!ctl.signal.aborted && !this.video.playing) {
        void locateSample(this.model, sample.sample_id, hint, ctl.signal)
          .then(place => {
            this._place = place;
            this._renderPosition();
          })
          .catch(() => undefined);
      }
    }, LOCATE_AFTER_MS);
  }

  /** Show the sample; its image is `picture` where native playback drew it. */
  private _render(picture?: HTMLCanvasElement): void {
    const s = this._sample;
    this._status.hidden = true;
    if (!s) {
      this._name.textContent = '';
      this._position.textContent = '';
      this._stage.show(null, null);
      this.editing.editor.select(null);
      this._side.replaceChildren();
      void this.video.update(null, null);
      return;
    }
    this.title.label = visibleText(s.file_name.split('/').pop() || s.file_name);
    this._name.textContent = visibleText(s.file_name);
    this._name.title = visibleText(s.file_name);
    this._renderPosition();
    this._tagging.render(s);
    this._imageLabel.render();
    this._renderSources();
    if (this.video.playing) {
      this._renderSideSoon();
    } else {
      this._renderSide();
    }
    const dataset = this.model.dataset as string;
    if (picture) {
      this._stage.showPicture(s, picture);
    } else {
      this._stage.show(s, imageUrl(this.model, dataset, s.sample_id));
    }
    this._stage.showMasks(
      (s.mask_sources ?? []).map(source => ({
        source,
        url: maskUrl(this.model, dataset, s.sample_id, source)
      }))
    );
    void this.editing.sampleShown(this._place.index);
    void this.video.update(s, this.model.dataset);
  }

  private _renderPosition(): void {
    const { index, total, inView } = this._place;
    this._position.textContent =
      index !== null
        ? `${fmtInt(index + 1)} of ${fmtInt(total)}`
        : inView
          ? 'in the current filter'
          : 'not in the current filter';
    this._position.dataset.index = String(index ?? '');
  }

  /** The fields and boxes tables, then the sections of other extensions
   * (a focused control stays focused: a reload follows any write). */
  private _renderSide(): void {
    window.clearTimeout(this._sideTimer);
    this._sideTimer = undefined;
    const s = this._sample;
    replaceKeepingFocus(
      this._side,
      s
        ? [
            ...sampleTables(this.model, s),
            ...renderSampleSections(this.model, s)
          ]
        : []
    );
  }

  /** The side tables of the sample shown, once `SIDE_WHILE_PLAYING_MS` passed. */
  private _renderSideSoon(): void {
    if (this._sideTimer === undefined) {
      this._sideTimer = window.setTimeout(
        () => this._renderSide(),
        SIDE_WHILE_PLAYING_MS
      );
    }
  }

  private _onExtensionsChanged(_: unknown, kind: string): void {
    if (kind === 'sampleSection') {
      this._renderSide();
    }
  }

  private _renderSources(): void {
    this._sources.replaceChildren(...sourceToggles(this.model, this._sample));
  }

  private _sample: ISample | null = null;
  private _place: IRowPlace = NOWHERE;
  private _ctl: AbortController | null = null;
  /** The pending render of the side tables while a video plays. */
  private _sideTimer: number | undefined = undefined;
  private _name: HTMLSpanElement;
  private _position: HTMLSpanElement;
  private _sources: HTMLSpanElement;
  private _tagging: SampleTagging;
  private _imageLabel: SampleImageLabel;
  private _stage: SampleStage;
  private _side: HTMLDivElement;
  private _status: HTMLDivElement;
  private _frameEvaluation: FrameEvaluation;
  /** Whether the frames loaded ahead were asked with TP/FP/FN statuses. */
  private _framesColoured = false;
}
