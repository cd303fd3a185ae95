/**
 * The sample view's image stage: the full image with its labels (masks,
 * keypoints, boxes, classification chips), zoomed with the wheel (around the pointer) and panned
 * by dragging with the middle button, with Shift, or with the pan tool; the
 * keypoint names of the object under the pointer only (`keypointObjectAt`); a
 * plain drag goes to the tool's edit layer (`IStagePointer`: select, move and
 * resize with `select`, a new box with `draw`, a polygon, rotated box or line
 * with `polygon`, `obb`, `polyline`; click-to-mask prompts with `mask`, where
 * a right-button press is a click too; a mask painted with `brush`, cleared
 * with `erase`), in image pixels, the pointer's moves between presses too
 * (`hover`). Fits the image on load and whenever the stage's own size changes.
 */
import { ISignal, Signal } from '@lumino/signaling';
import { IAnnotation, ISample, IVisionLensModel } from '../../model/tokens';
import { KeypointClasses, LabelTypeToggles } from '../../model/labels';
import {
  createLabelLayers,
  drawSampleLabels,
  ILabelLayers
} from '../../ui/labels/sampleLabels';
import { keypointObjectAt } from '../../ui/labels/keypoints';
import { h } from '../../base/dom';
import { IMaskLayer, SemanticMasks } from '../../ui/labels/semanticMasks';
import { IStagePointer, startsPan, StageTool } from './stagePointer';
import { StagePicture } from './stagePicture';
import { labelPixelRatio, StageTransform } from './stageTransform';

/** How near a keypoint (screen pixels) the pointer names its object's points. */
const KEYPOINT_REACH = 12;

/** Longest side of an RLE mask's bitmap in the sample view (a 12 MP mask
 * at full size takes long to paint, and the canvas is capped anyway). */
const MAX_MASK_SIDE = 2048;

/** The zoomable, pannable image of one sample. */
export class SampleStage {
  constructor(model: IVisionLensModel, labelTypes: LabelTypeToggles) {
    this._model = model;
    this._labelTypes = labelTypes;
    this.node = h('div', {
      className: 'jp-VisionLens-stage',
      attrs: { 'data-tool': 'select' }
    });
    this._canvas = h('div', { className: 'jp-VisionLens-canvas' });
    this._picture = new StagePicture({
      shown: sample => {
        this._sample = sample;
        this.fit();
        this._shown.emit(sample);
      },
      fit: () => this.fit()
    });
    this._labels = createLabelLayers();
    this._canvas.append(
      this._picture.node,
      this._masks.node,
      this._labels.canvas,
      this._labels.svg
    );
    // What the tools say (a hint, an edit's outcome, the mask's status) lies
    // over the image's foot (at its top while the pointer is there): a line
    // that comes or goes never moves the image under the pointer. Its
    // buttons (a conflict's choices) are no gesture.
    this.notes = h('div', { className: 'jp-VisionLens-stageNotes' });
    for (const type of ['pointerdown', 'wheel', 'contextmenu']) {
      this.notes.addEventListener(type, e => e.stopPropagation());
    }
    this.node.append(this._canvas, this._labels.chips, this.notes);
    this.node.addEventListener('wheel', this, { passive: false });
    this.node.addEventListener('pointerdown', this);
    this.node.addEventListener('pointermove', this);
    this.node.addEventListener('pointerup', this);
    this.node.addEventListener('pointercancel', this);
    this.node.addEventListener('pointerleave', this);
    // the mask tool's right-button click marks "not the object"
    this.node.addEventListener('contextmenu', e => {
      if (this._tool === 'mask') {
        e.preventDefault();
      }
    });
    // The stage's size follows the panel and whatever shares it (toolbars that
    // overflow, the side tables filled after the image): watch the node itself,
    // since not every such change reaches the view as a Lumino resize.
    this._resizes = new ResizeObserver(() => {
      // measured here, after layout: cheap, and what `fit` reads from now on
      this._measured = [this.node.clientWidth, this.node.clientHeight];
      if (
        this._measured[0] !== this._fitted[0] ||
        this._measured[1] !== this._fitted[1]
      ) {
        this.fit();
      }
    });
    this._resizes.observe(this.node);
  }

  /** Stop watching the stage's size (the view is disposed). */
  dispose(): void {
    this._resizes.disconnect();
  }

  /** The stage element (put it in the view's body). */
  readonly node: HTMLDivElement;
  /** The rows of text over the image's foot (empty rows take no room). */
  readonly notes: HTMLDivElement;

  /**
   * Lay an edit layer over the image: plain drags under `tools` go to it
   * from now on (without `tools`: under every tool no other layer has).
   */
  setPointer(pointer: IStagePointer, tools?: StageTool[]): void {
    if (tools) {
      tools.forEach(tool => this._pointers.set(tool, pointer));
    } else {
      this._pointer = pointer;
    }
    this._canvas.append(pointer.node);
    pointer.render(this._view.scale);
  }

  /** The layer the current tool's presses go to. */
  private get _active(): IStagePointer | null {
    return this._pointers.get(this._tool) ?? this._pointer;
  }

  /** Show a sample's image (null: none) and fit it. */
  show(sample: ISample | null, url: string | null): void {
    this._named = null;
    this._picture.show(sample, url);
  }

  /**
   * Show `picture`, a video's frame drawn by native playback, with that
   * frame's `sample`: it takes the image's place until an image is shown.
   */
  showPicture(sample: ISample, picture: HTMLCanvasElement): void {
    this._named = null;
    this._picture.showCanvas(sample, picture);
  }

  /**
   * A sample's image and labels are on the stage together (null: none):
   * emitted once the image is decoded, not when it is asked for, so what
   * names the picture (a video's frame counter) changes with it.
   */
  get shown(): ISignal<this, ISample | null> {
    return this._shown;
  }

  /** Lay the sample's semantic or panoptic masks over its image (none: []). */
  showMasks(layers: readonly IMaskLayer[]): void {
    this._masks.show(layers);
    this._updateMasks();
  }

  /** Scale the image to fit the stage, centred. */
  fit(): void {
    const [w, h] = this._size();
    // the size the observer last measured: reading the DOM's here would force
    // a layout for every frame a playing video shows (~40 ms a second)
    this._fitted = this._measured ?? [
      this.node.clientWidth,
      this.node.clientHeight
    ];
    this._view.fit(w, h, this._fitted[0] || 1, this._fitted[1] || 1);
    this._applyTransform(true);
  }

  /** The dataset's keypoint classes (skeletons and point names). */
  keypointClasses: KeypointClasses = new Map();

  /** Draw the labels again (sources, threshold, colours or types changed). */
  redraw(): void {
    this._updateMasks();
    const [w, h] = this._size();
    const shown = this._sample;
    const sample = shown ? { ...shown, width: w, height: h } : null;
    const zoom = this._view.scale * (window.devicePixelRatio || 1);
    // Which sample's labels are drawn, for checks from outside (the video
    // playback benchmark: the labels shown are those of the frame shown).
    if (shown) {
      this._canvas.dataset.labelsOf = String(shown.sample_id);
    } else {
      delete this._canvas.dataset.labelsOf;
    }
    drawSampleLabels(this._labels, this._model, sample, {
      displaySize: Math.max(w, h) * this._view.scale,
      labels: this._labelTypes.names,
      shown: this._labelTypes.shown,
      evalColours: this._labelTypes.evalColours,
      keypointClasses: this.keypointClasses,
      namedKeypoints: this._named,
      layout: {
        cssWidth: w,
        cssHeight: h,
        pixelRatio: labelPixelRatio(zoom, w, h)
      },
      compact: false,
      maskStep: Math.max(1, Math.ceil(Math.max(w, h) / MAX_MASK_SIDE)),
      // Made lazily (one mask per task at most) and drawn when ready.
      onMaskReady: () => {
        if (this._sample === shown) {
          this.redraw();
        }
      },
      chipsPerModel: 3
    });
  }

  /** The tool of a plain drag. */
  get tool(): StageTool {
    return this._tool;
  }

  setTool(tool: StageTool): void {
    this._tool = tool;
    this.node.dataset.tool = tool;
  }

  handleEvent(event: Event): void {
    switch (event.type) {
      case 'wheel':
        this._onWheel(event as WheelEvent);
        break;
      case 'pointerdown': {
        const e = event as PointerEvent;
        if (startsPan(this._tool, e)) {
          e.preventDefault();
          this._view.startPan(e.clientX, e.clientY);
          this.node.classList.add('jp-mod-dragging');
        } else if (
          (e.button === 0 || (e.button === 2 && this._tool === 'mask')) &&
          this._active?.down(...this._imagePoint(e), this._tool, e)
        ) {
          e.preventDefault();
          this._editing = true;
          if (this._tool === 'mask' || this._tool === 'obb') {
            // the prevented press moves no focus: the tool's keys need the view's
            this._focusView();
          }
        } else {
          break;
        }
        this.node.setPointerCapture(e.pointerId);
        break;
      }
      case 'pointermove': {
        const e = event as PointerEvent;
        if (this._view.panning) {
          this._view.panTo(e.clientX, e.clientY);
          this._applyTransform(false);
          break; // a pan writes the transform: reading layout now would force it
        }
        this._notesAside(e.clientY);
        if (this._editing) {
          this._active?.move(...this._imagePoint(e));
        } else {
          this._active?.hover?.(this._imagePoint(e));
          this._name(this._keypointObject(...this._imagePoint(e)));
        }
        break;
      }
      case 'pointerleave':
        this._notesAside(null);
        this._active?.hover?.(null);
        this._name(null);
        break;
      case 'pointerup':
        if (this._editing) {
          this._active?.up(...this._imagePoint(event as PointerEvent));
        }
        this._endDrag();
        break;
      case 'pointercancel':
        if (this._editing) {
          this._active?.cancel();
        }
        this._endDrag();
        break;
    }
  }

  /**
   * Move the notes to the stage's top while the pointer (at `clientY`; null:
   * gone) is in the strip they cover at its foot, so that what lies under
   * them can be seen where it is pointed at (a keypoint at the image's foot).
   * Notes with buttons (a conflict's choices) stay, to be clicked.
   */
  private _notesAside(clientY: number | null): void {
    const height = this.notes.offsetHeight;
    const foot = this.node.getBoundingClientRect().bottom;
    this.notes.classList.toggle(
      'jp-mod-top',
      clientY !== null &&
        height > 0 &&
        clientY >= foot - height &&
        !this.notes.querySelector('button')
    );
  }

  /** The object whose keypoints are at image point (x, y), if drawn. */
  private _keypointObject(x: number, y: number): IAnnotation | null {
    if (!this._labelTypes.shown.has('keypoints')) {
      return null;
    }
    return keypointObjectAt(
      this._sample?.annotations ?? [],
      x,
      y,
      KEYPOINT_REACH / this._view.scale,
      a => this._model.isBoxVisible(a.source, a.score)
    );
  }

  private _updateMasks(): void {
    this._masks.update(this._labelTypes.shown.has('label_maps'), source =>
      this._model.isSourceVisible(source)
    );
  }

  /** Draw the keypoint names of `object` (null: of none). */
  private _name(object: IAnnotation | null): void {
    if (object !== this._named) {
      this._named = object;
      this.redraw();
    }
  }

  private _focusView(): void {
    const view = this.node.closest<HTMLElement>('.jp-VisionLens-sample');
    if (view && !view.contains(document.activeElement)) {
      view.focus({ preventScroll: true });
    }
  }

  private _endDrag(): void {
    this._view.endPan();
    this._editing = false;
    this.node.classList.remove('jp-mod-dragging');
  }

  /** The image pixel under a pointer event. */
  private _imagePoint(e: PointerEvent): [number, number] {
    const rect = this.node.getBoundingClientRect();
    return this._view.imagePoint(e.clientX - rect.left, e.clientY - rect.top);
  }

  private _size(): [number, number] {
    const s = this._sample;
    const [w, h] = this._picture.size;
    return [s?.width || w || 1, s?.height || h || 1];
  }

  private _onWheel(e: WheelEvent): void {
    e.preventDefault();
    const rect = this.node.getBoundingClientRect();
    // the image point under the pointer stays under it
    this._view.zoomAt(e.clientX - rect.left, e.clientY - rect.top, e.deltaY);
    this._applyTransform(true);
  }

  private _applyTransform(redraw: boolean): void {
    const [w, h] = this._size();
    this._canvas.style.width = `${w}px`;
    this._canvas.style.height = `${h}px`;
    const { scale } = this._view;
    this._canvas.style.transform = this._view.css;
    this._canvas.dataset.scale = scale.toFixed(4);
    this._pointer?.render(scale);
    this._pointers.forEach(pointer => pointer.render(scale));
    if (redraw) {
      this.redraw();
    }
  }

  private _resizes: ResizeObserver;
  private _fitted: [number, number] = [0, 0];
  /** The stage's size at the resize observer's last call (null: none yet). */
  private _measured: [number, number] | null = null;
  private _tool: StageTool = 'select';
  private _pointer: IStagePointer | null = null;
  private _pointers = new Map<StageTool, IStagePointer>();
  private _editing = false;
  private _model: IVisionLensModel;
  private _sample: ISample | null = null;
  private _shown = new Signal<this, ISample | null>(this);
  private _named: IAnnotation | null = null;
  private _canvas: HTMLDivElement;
  private _picture: StagePicture;
  private _labels: ILabelLayers;
  private _masks = new SemanticMasks();
  private _labelTypes: LabelTypeToggles;
  private _view = new StageTransform();
}
