/**
 * Sample view: the full image with zoom (wheel) and pan (drag), boxes with
 * class + score labels, segmentation polygons, per-source toggles, fields and
 * boxes tables, ←/→ to step through the samples of the current filter,
 * tag / untag, and "more like this" (`moreLikeThis`, given by the plugin).
 */
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { GROUND_TRUTH, ISample, IVisionLensModel } from '../tokens';
import { createOverlay, drawBoxes } from './boxes';
import { button, fmtInt, h } from '../dom';
import { sampleTables } from './sampleTables';

/** The sample view panel (one, reused for every sample). */
export class SampleView extends Widget {
  constructor(model: IVisionLensModel, moreLikeThis?: (id: number) => void) {
    super();
    this.model = model;
    this.id = 'visionlens-sample';
    this.addClass('jp-VisionLens-sample');
    this.title.label = 'VisionLens Sample';
    this.title.closable = true;
    this.node.tabIndex = 0;

    this._name = h('span', { className: 'jp-VisionLens-sampleName' });
    this._position = h('span', { className: 'jp-VisionLens-samplePosition' });
    const prev = button('◀ Prev', 'jp-VisionLens-prev', () => this.step(-1));
    const next = button('Next ▶', 'jp-VisionLens-next', () => this.step(1));
    const fit = button('Fit', 'jp-VisionLens-fit', () => this._fit());
    const similar = button(
      'More like this',
      'jp-VisionLens-moreLikeThis',
      () => (this._sample ? moreLikeThis?.(this._sample.sample_id) : undefined)
    );
    similar.hidden = !moreLikeThis;
    this._sources = h('span', { className: 'jp-VisionLens-sources' });
    this._tagInput = h('input', {
      className: 'jp-VisionLens-tagInput jp-mod-styled',
      attrs: { placeholder: 'tag', 'aria-label': 'Tag for this sample' }
    });
    this._tagInput.addEventListener('keydown', e => {
      e.stopPropagation();
      if (e.key === 'Enter') {
        void this._tag(true);
      }
    });
    const tag = button('Tag', 'jp-VisionLens-tagButton', () => this._tag(true));
    const untag = button('Untag', 'jp-VisionLens-untagButton', () =>
      this._tag(false)
    );
    this._tags = h('span', { className: 'jp-VisionLens-sampleTags' });

    this._stage = h('div', { className: 'jp-VisionLens-stage' });
    this._canvas = h('div', { className: 'jp-VisionLens-canvas' });
    this._img = h('img', { className: 'jp-VisionLens-fullImage' });
    this._img.alt = '';
    this._img.draggable = false;
    this._svg = createOverlay('jp-VisionLens-overlay');
    this._canvas.append(this._img, this._svg);
    this._stage.append(this._canvas);
    this._side = h('div', { className: 'jp-VisionLens-sampleSide' });
    this._status = h('div', { className: 'jp-VisionLens-gridStatus' });

    this.node.append(
      h(
        'div',
        { className: 'jp-VisionLens-gridToolbar' },
        h(
          'div',
          { className: 'jp-VisionLens-toolbarRow' },
          prev,
          next,
          this._position,
          this._name,
          h('span', { className: 'jp-VisionLens-spacer' }),
          similar,
          fit
        ),
        h(
          'div',
          { className: 'jp-VisionLens-toolbarRow' },
          this._sources,
          h('span', { className: 'jp-VisionLens-spacer' }),
          this._tags,
          this._tagInput,
          tag,
          untag
        )
      ),
      this._status,
      h(
        'div',
        { className: 'jp-VisionLens-sampleBody' },
        this._stage,
        this._side
      )
    );

    this.node.addEventListener('keydown', this);
    this._stage.addEventListener('wheel', this, { passive: false });
    this._stage.addEventListener('pointerdown', this);
    this._stage.addEventListener('pointermove', this);
    this._stage.addEventListener('pointerup', this);
    this._stage.addEventListener('pointercancel', this);
    this._img.addEventListener('load', () => this._fit());
    model.viewChanged.connect(this._redraw, this);
    model.datasetsChanged.connect(this._renderSources, this);
    model.dataChanged.connect(this._reload, this);
    model.datasetChanged.connect(this._onDatasetChanged, this);
  }

  readonly model: IVisionLensModel;

  /** The sample shown. */
  get sample(): ISample | null {
    return this._sample;
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
      const sample = await this.model.client.getSample(
        dataset,
        sampleId,
        ctl.signal
      );
      if (ctl.signal.aborted) {
        return;
      }
      this._sample = sample;
      this._index = await this._locate(sampleId, index ?? null, ctl.signal);
      this._render();
    } catch (error) {
      if ((error as Error).name !== 'AbortError') {
        this._status.textContent = `Could not load the sample: ${(error as Error).message}`;
        this._status.hidden = false;
      }
    }
  }

  /** Go to the next (+1) or previous (-1) sample of the current filter. */
  async step(delta: number): Promise<void> {
    const dataset = this.model.dataset;
    if (!dataset || this._index === null) {
      return;
    }
    const target = this._index + delta;
    if (target < 0 || (this._total !== null && target >= this._total)) {
      return;
    }
    const page = await this.model.client.querySamples(
      dataset,
      this.model.filter,
      {
        offset: target,
        limit: 1
      }
    );
    this._total = page.total;
    const next = page.samples[0];
    if (next) {
      await this.showSample(next.sample_id, target);
    }
  }

  handleEvent(event: Event): void {
    switch (event.type) {
      case 'keydown': {
        const e = event as KeyboardEvent;
        if (e.key === 'ArrowRight') {
          e.preventDefault();
          void this.step(1);
        } else if (e.key === 'ArrowLeft') {
          e.preventDefault();
          void this.step(-1);
        }
        break;
      }
      case 'wheel':
        this._onWheel(event as WheelEvent);
        break;
      case 'pointerdown': {
        const e = event as PointerEvent;
        this._drag = { x: e.clientX, y: e.clientY, tx: this._tx, ty: this._ty };
        this._stage.setPointerCapture(e.pointerId);
        this._stage.classList.add('jp-mod-dragging');
        break;
      }
      case 'pointermove': {
        const e = event as PointerEvent;
        if (this._drag) {
          this._tx = this._drag.tx + e.clientX - this._drag.x;
          this._ty = this._drag.ty + e.clientY - this._drag.y;
          this._applyTransform(false);
        }
        break;
      }
      case 'pointerup':
      case 'pointercancel':
        this._drag = null;
        this._stage.classList.remove('jp-mod-dragging');
        break;
    }
  }

  protected onActivateRequest(msg: Message): void {
    this.node.focus();
  }

  protected onResize(msg: Widget.ResizeMessage): void {
    this._fit();
  }

  private async _locate(
    sampleId: number,
    index: number | null,
    signal: AbortSignal
  ): Promise<number | null> {
    const dataset = this.model.dataset as string;
    if (index !== null) {
      const page = await this.model.client.querySamples(
        dataset,
        this.model.filter,
        { offset: index, limit: 1 },
        signal
      );
      this._total = page.total;
      if (page.samples[0]?.sample_id === sampleId) {
        return index;
      }
    }
    const { ids, total } = await this.model.client.ids(
      dataset,
      this.model.filter,
      signal
    );
    this._total = total;
    const found = ids.indexOf(sampleId);
    return found >= 0 ? found : null;
  }

  private _onDatasetChanged(): void {
    this._sample = null;
    this._index = null;
    this._render();
  }

  private _reload(): void {
    if (this._sample) {
      void this.showSample(this._sample.sample_id, this._index);
    }
  }

  private _render(): void {
    const s = this._sample;
    this._status.hidden = true;
    if (!s) {
      this._name.textContent = '';
      this._position.textContent = '';
      this._img.removeAttribute('src');
      this._side.replaceChildren();
      return;
    }
    this.title.label = s.file_name.split('/').pop() || s.file_name;
    this._name.textContent = s.file_name;
    this._position.textContent =
      this._index !== null
        ? `${fmtInt(this._index + 1)} of ${fmtInt(this._total)}`
        : 'not in the current filter';
    this._position.dataset.index = String(this._index ?? '');
    this._tags.textContent = s.tags.length
      ? `tags: ${s.tags.join(', ')}`
      : 'no tags';
    const url = this.model.client.imageUrl(
      this.model.dataset as string,
      s.sample_id
    );
    if (this._img.getAttribute('src') !== url) {
      this._img.src = url;
    }
    this._renderSources();
    this._side.replaceChildren(...sampleTables(this.model, s));
    this._fit();
  }

  private _renderSources(): void {
    const s = this._sample;
    const sources = new Set<string>([GROUND_TRUTH]);
    for (const m of this.model.currentInfo?.models ?? []) {
      sources.add(m.name);
    }
    for (const a of s?.annotations ?? []) {
      sources.add(a.source);
    }
    this._sources.replaceChildren(
      ...[...sources].map(source => {
        const box = h('input', { attrs: { type: 'checkbox' } });
        box.checked = this.model.isSourceVisible(source);
        box.addEventListener('change', () =>
          this.model.setSourceVisible(source, box.checked)
        );
        return h(
          'label',
          { className: 'jp-VisionLens-sourceToggle' },
          box,
          source === GROUND_TRUTH ? 'ground truth' : source
        );
      })
    );
  }

  private _size(): [number, number] {
    const s = this._sample;
    return [
      s?.width || this._img.naturalWidth || 1,
      s?.height || this._img.naturalHeight || 1
    ];
  }

  /** Scale the image to fit the stage, centred. */
  private _fit(): void {
    const [w, h] = this._size();
    const sw = this._stage.clientWidth || 1;
    const sh = this._stage.clientHeight || 1;
    this._scale = Math.min(sw / w, sh / h);
    this._tx = (sw - w * this._scale) / 2;
    this._ty = (sh - h * this._scale) / 2;
    this._applyTransform(true);
  }

  private _onWheel(e: WheelEvent): void {
    e.preventDefault();
    const rect = this._stage.getBoundingClientRect();
    const px = e.clientX - rect.left;
    const py = e.clientY - rect.top;
    const factor = Math.exp(-e.deltaY * 0.0015);
    const scale = Math.min(40, Math.max(0.02, this._scale * factor));
    // Keep the image point under the pointer fixed.
    this._tx = px - ((px - this._tx) * scale) / this._scale;
    this._ty = py - ((py - this._ty) * scale) / this._scale;
    this._scale = scale;
    this._applyTransform(true);
  }

  private _applyTransform(redraw: boolean): void {
    const [w, h] = this._size();
    this._canvas.style.width = `${w}px`;
    this._canvas.style.height = `${h}px`;
    this._canvas.style.transform = `translate(${this._tx}px, ${this._ty}px) scale(${this._scale})`;
    this._canvas.dataset.scale = this._scale.toFixed(4);
    if (redraw) {
      this._redraw();
    }
  }

  private _redraw(): void {
    const s = this._sample;
    const [w, h] = this._size();
    drawBoxes(this._svg, this.model, w, h, s?.annotations ?? [], {
      displaySize: Math.max(w, h) * this._scale,
      labels: true,
      segmentation: true
    });
  }

  private async _tag(add: boolean): Promise<void> {
    const tag = this._tagInput.value.trim();
    if (!tag || !this._sample) {
      return;
    }
    await this.model.tagSamples(
      [this._sample.sample_id],
      add ? [tag] : [],
      add ? [] : [tag]
    );
    this._tagInput.value = '';
  }

  private _sample: ISample | null = null;
  private _index: number | null = null;
  private _total: number | null = null;
  private _ctl: AbortController | null = null;
  private _name: HTMLSpanElement;
  private _position: HTMLSpanElement;
  private _sources: HTMLSpanElement;
  private _tagInput: HTMLInputElement;
  private _tags: HTMLSpanElement;
  private _stage: HTMLDivElement;
  private _canvas: HTMLDivElement;
  private _img: HTMLImageElement;
  private _svg: SVGSVGElement;
  private _side: HTMLDivElement;
  private _status: HTMLDivElement;
  private _scale = 1;
  private _tx = 0;
  private _ty = 0;
  private _drag: { x: number; y: number; tx: number; ty: number } | null = null;
}
