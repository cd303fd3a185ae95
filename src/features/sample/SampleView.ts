/**
 * Sample view: the full image (`SampleStage`: zoom, pan, boxes, polygons),
 * per-source toggles, fields and boxes tables, the sections other extensions
 * register, previous / next (`step`, also ←/→ through the plugin's commands),
 * tag / untag, and "more like this" (`moreLikeThis`, given by the plugin).
 */
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import {
  GROUND_TRUTH,
  IDataChange,
  ISample,
  IVisionLensModel
} from '../../model/tokens';
import { button, fmtInt, h } from '../../base/dom';
import { renderSampleSections } from '../../ui/contributions';
import { SampleStage } from './SampleStage';
import { sampleTables } from './sampleTables';
import { IRowPlace, locateSample, sampleAt } from '../../model/sources/rows';
import { getSample, imageUrl } from '../../model/sources/samples';

/** Not a row of the view (nothing shown yet). */
const NOWHERE: IRowPlace = { index: null, total: null, inView: false };
import { visibleText } from '../../base/dataText';

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
    const fit = button('Fit', 'jp-VisionLens-fit', () => this._stage.fit());
    const pan = button('Pan', 'jp-VisionLens-panTool', () => {
      const on = this._stage.tool !== 'pan';
      this._stage.setTool(on ? 'pan' : 'select');
      pan.setAttribute('aria-pressed', String(on));
    });
    pan.title = 'Drag to pan (also: middle button, or Shift and drag)';
    pan.setAttribute('aria-pressed', 'false');
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
      // Typing keys (←/→ included) stay in the input: not the view's commands.
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

    this._stage = new SampleStage(model);
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
          pan,
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
        this._stage.node,
        this._side
      )
    );

    model.viewChanged.connect(() => this._stage.redraw(), this);
    model.extensions.changed.connect(this._onExtensionsChanged, this);
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
      const sample = await getSample(this.model, dataset, sampleId, ctl.signal);
      if (ctl.signal.aborted) {
        return;
      }
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

  /** Go to the next (+1) or previous (-1) row of the view, in its order. */
  async step(delta: number): Promise<void> {
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

  protected onResize(msg: Widget.ResizeMessage): void {
    this._stage.fit();
  }

  private _onDatasetChanged(): void {
    this._sample = null;
    this._place = NOWHERE;
    this._render();
  }

  /** Data changed: show the sample again if the write may have touched it. */
  private _reload(_: IVisionLensModel, change: IDataChange): void {
    const shown = this._sample;
    if (
      shown &&
      change.dataset === this.model.dataset &&
      (change.ids === null || change.ids.includes(shown.sample_id))
    ) {
      void this.showSample(shown.sample_id, this._place.index);
    }
  }

  private _render(): void {
    const s = this._sample;
    this._status.hidden = true;
    if (!s) {
      this._name.textContent = '';
      this._position.textContent = '';
      this._stage.show(null, null);
      this._side.replaceChildren();
      return;
    }
    this.title.label = visibleText(s.file_name.split('/').pop() || s.file_name);
    this._name.textContent = visibleText(s.file_name);
    const { index, total, inView } = this._place;
    this._position.textContent =
      index !== null
        ? `${fmtInt(index + 1)} of ${fmtInt(total)}`
        : inView
          ? 'in the current filter'
          : 'not in the current filter';
    this._position.dataset.index = String(index ?? '');
    this._tags.textContent = s.tags.length
      ? visibleText(`tags: ${s.tags.join(', ')}`)
      : 'no tags';
    this._renderSources();
    this._renderSide();
    this._stage.show(
      s,
      imageUrl(this.model, this.model.dataset as string, s.sample_id)
    );
  }

  /** The fields and boxes tables, then the sections of other extensions. */
  private _renderSide(): void {
    const s = this._sample;
    this._side.replaceChildren(
      ...(s
        ? [
            ...sampleTables(this.model, s),
            ...renderSampleSections(this.model, s)
          ]
        : [])
    );
  }

  private _onExtensionsChanged(_: unknown, kind: string): void {
    if (kind === 'sampleSection') {
      this._renderSide();
    }
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
  private _place: IRowPlace = NOWHERE;
  private _ctl: AbortController | null = null;
  private _name: HTMLSpanElement;
  private _position: HTMLSpanElement;
  private _sources: HTMLSpanElement;
  private _tagInput: HTMLInputElement;
  private _tags: HTMLSpanElement;
  private _stage: SampleStage;
  private _side: HTMLDivElement;
  private _status: HTMLDivElement;
}
