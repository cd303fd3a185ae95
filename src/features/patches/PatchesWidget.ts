/**
 * The patches view: the grid's objects mode. Tiles are objects (a source's
 * boxes or an evaluation's TP / FP / FN patches) cropped with some context,
 * their class and score written as text (dataset text is never HTML), their
 * mask and keypoints drawn over the crop by the grid's label drawing, and a
 * pair (an evaluation patch and its match, or a flagged label and the
 * prediction it disagrees with) as both boxes (`patchCrop`). A click
 * selects a patch; the selection's samples become the shared selection, and
 * the edit row (`PatchEdits`) relabels, deletes, accepts or tags it in bulk.
 */
import { Widget } from '@lumino/widgets';

import { fmtInt, h } from '../../base/dom';
import { nameTab } from '../../ui/panelNames';
import { embedWidget } from '../../ui/toolbar';
import { VersionBanner } from '../../ui/VersionBanner';
import { GROUND_TRUTH, IPatch } from '../../model/tokens';
import { KeypointClasses, keypointClasses } from '../../model/labels';
import { IPatchesChoice, PatchesModel } from '../../model/patches';
import { ILabelStyle } from '../../ui/labels/overlay';
import { patchCrop } from '../../ui/patchCrop';
import { PatchEdits } from './PatchEdits';

/** A tile's crop, CSS pixels (its longest side; the crop route's size). */
const TILE = 128;

/** The sorts offered, by kind (any box field works through the API). */
const SORTS: { [kind: string]: [string, string][] } = {
  objects: [
    ['', 'Object id'],
    ['score', 'Score'],
    ['area', 'Area'],
    ['label', 'Class'],
    ['lq_score', 'Label quality']
  ],
  evaluation: [
    ['iou', 'IoU'],
    ['score', 'Score'],
    ['area', 'Area'],
    ['label', 'Class']
  ]
};

/** The text under a tile: class, score, evaluation status, label issue, tags. */
export function patchCaption(patch: IPatch): string {
  const parts = [patch.label];
  if (patch.score !== null && patch.score !== undefined) {
    parts.push(patch.score.toFixed(2));
  }
  if (patch.status) {
    const iou =
      patch.iou === null || patch.iou === undefined
        ? ''
        : ` ${patch.iou.toFixed(2)}`;
    parts.push(`${patch.status.toUpperCase()}${iou}`);
  }
  if (patch.lq_flagged && patch.lq_issue) {
    parts.push(patch.lq_issue.replace('_', ' '));
  }
  parts.push(...(patch.tags ?? []).map(t => `#${t}`));
  return parts.join(' · ');
}

/** The patches panel (opened from the grid's "Objects" toggle). */
export class PatchesWidget extends Widget {
  constructor(patches: PatchesModel, onImages: () => void) {
    super();
    this.patches = patches;
    this.id = 'visionlens-patches';
    this.addClass('jp-VisionLens-patches');
    nameTab(this.title, 'patches');
    this.title.closable = true;
    const images = h('button', {
      className: 'jp-VisionLens-patchesImages jp-mod-styled',
      text: 'Images',
      title: 'Back to the grid of images'
    });
    images.addEventListener('click', () => onImages());
    this._kind.addEventListener('change', () => this._onKind());
    this._sort.addEventListener('change', () => this._onSort());
    this._order.addEventListener('change', () => this._onSort());
    this._only.addEventListener('change', () => {
      void this.patches.setOnlySelectedSamples(this._only.checked);
    });
    this._prev.addEventListener('click', () => void this.patches.turn(-1));
    this._next.addEventListener('click', () => void this.patches.turn(1));
    for (const [value, label] of [
      ['asc', 'Ascending'],
      ['desc', 'Descending']
    ]) {
      this._order.append(h('option', { text: label, attrs: { value } }));
    }
    const banner = new VersionBanner(patches.model);
    this.node.append(
      banner.node,
      h(
        'div',
        { className: 'jp-VisionLens-patchesBar' },
        images,
        this._kind,
        h('label', { text: 'Sort ' }, this._sort),
        this._order,
        h('label', { text: ' Selected images only' }, this._only),
        this._count,
        this._prev,
        this._next
      ),
      new PatchEdits(patches).node,
      this._status,
      this._tiles
    );
    embedWidget(this, banner);
    patches.changed.connect(this._render, this);
    patches.model.datasetChanged.connect(this._fillChoices, this);
    patches.model.datasetChanged.connect(this._loadKeypointClasses, this);
    this._fillChoices();
    this._loadKeypointClasses();
  }

  readonly patches: PatchesModel;

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.patches.dispose();
    super.dispose();
  }

  /** Read the first page (when opened). */
  load(): Promise<void> {
    this._fillChoices();
    return this.patches.load(0);
  }

  /** Show these objects in this order (the open-patches command's arguments). */
  async showChoice(choice: Partial<IPatchesChoice>): Promise<void> {
    const done = this.patches.setChoice(choice);
    this._fillChoices();
    await done;
  }

  /** Ground truth, each model's boxes, each model's evaluation patches. */
  private _fillChoices(): void {
    const models = (this.patches.model.currentInfo?.models ?? []).map(
      m => m.name
    );
    this._kind.replaceChildren(
      h('option', {
        text: 'Ground truth',
        attrs: { value: `objects:${GROUND_TRUTH}` }
      }),
      ...models.map(m =>
        h('option', {
          text: `Predictions: ${m}`,
          attrs: { value: `objects:${m}` }
        })
      ),
      ...models.map(m =>
        h('option', {
          text: `Evaluation: ${m}`,
          attrs: { value: `evaluation:${m}` }
        })
      )
    );
    const c = this.patches.choice;
    this._kind.value = `${c.kind}:${c.source}`;
    this._fillSorts();
    nameTab(this.title, 'patches', this.patches.model.dataset);
  }

  private _fillSorts(): void {
    const c = this.patches.choice;
    this._sort.replaceChildren(
      ...SORTS[c.kind].map(([value, label]) =>
        h('option', { text: label, attrs: { value } })
      )
    );
    this._sort.value = c.sort;
    this._order.value = c.order;
  }

  private _onKind(): void {
    const value = this._kind.value;
    const at = value.indexOf(':');
    const kind = value.slice(0, at) === 'evaluation' ? 'evaluation' : 'objects';
    void this.patches.setChoice({ kind, source: value.slice(at + 1) });
    this._fillSorts();
  }

  private _onSort(): void {
    void this.patches.setChoice({
      sort: this._sort.value,
      order: this._order.value === 'desc' ? 'desc' : 'asc'
    });
  }

  private _render(): void {
    const { page, error } = this.patches;
    const dataset = this.patches.model.dataset;
    this._status.textContent =
      error ?? (dataset ? '' : 'Open a dataset from the VisionLens panel.');
    if (!page || !dataset) {
      this._tiles.replaceChildren();
      this._count.textContent = '';
      return;
    }
    const last = Math.min(page.offset + page.objects.length, page.total);
    this._count.textContent = page.total
      ? `${fmtInt(page.offset + 1)}–${fmtInt(last)} of ${fmtInt(page.total)} objects`
      : 'No objects';
    this._prev.disabled = page.offset === 0;
    this._next.disabled = last >= page.total;
    this._tiles.replaceChildren(
      ...page.objects.map(patch => {
        const img = h('img', {
          attrs: {
            src: this.patches.cropUrl(dataset, patch, TILE),
            alt: '',
            loading: 'lazy'
          }
        });
        const tile = h(
          'div',
          {
            className: 'jp-VisionLens-patch',
            title: `${patch.file_name} (object ${patch.ann_id})`,
            attrs: {
              'data-ann-id': String(patch.ann_id),
              role: 'button',
              tabindex: '0'
            }
          },
          patchCrop(img, patch, this._style, TILE, this._keypointClasses),
          h('div', {
            className: 'jp-VisionLens-patchCaption',
            text: patchCaption(patch)
          })
        );
        if (patch.status) {
          tile.classList.add(`jp-mod-${patch.status}`);
        }
        tile.classList.toggle(
          'jp-mod-selected',
          this.patches.isSelected(patch.ann_id)
        );
        const toggle = () => void this.patches.toggle(patch);
        tile.addEventListener('click', toggle);
        tile.addEventListener('keydown', event => {
          if (event.key === ' ' || event.key === 'Enter') {
            event.preventDefault();
            toggle();
          }
        });
        return tile;
      })
    );
  }

  /** The dataset's skeletons (keypoints are joined once they are known). */
  private _loadKeypointClasses(): void {
    const dataset = this.patches.model.dataset;
    this._keypointClasses = new Map();
    if (!dataset) {
      return;
    }
    void keypointClasses(this.patches.model, dataset).then(classes => {
      if (dataset === this.patches.model.dataset && !this.isDisposed) {
        this._keypointClasses = classes;
        this._render();
      }
    });
  }

  /** The grid's class colours; a tile's own object is always drawn. */
  private readonly _style: ILabelStyle = {
    isBoxVisible: () => true,
    classColor: label => this.patches.model.classColor(label)
  };
  private _keypointClasses: KeypointClasses = new Map();
  private _kind = h('select', {
    className: 'jp-VisionLens-patchesKind',
    attrs: { 'aria-label': 'Objects' }
  });
  private _sort = h('select', {
    className: 'jp-VisionLens-patchesSort',
    attrs: { 'aria-label': 'Sort' }
  });
  private _order = h('select', {
    className: 'jp-VisionLens-patchesOrder',
    attrs: { 'aria-label': 'Order' }
  });
  private _only = h('input', {
    className: 'jp-VisionLens-patchesOnlySelected',
    attrs: { type: 'checkbox' }
  });
  private _count = h('span', { className: 'jp-VisionLens-patchesCount' });
  private _prev = h('button', {
    className: 'jp-VisionLens-patchesPrev jp-mod-styled',
    text: '‹ Previous'
  });
  private _next = h('button', {
    className: 'jp-VisionLens-patchesNext jp-mod-styled',
    text: 'Next ›'
  });
  private _status = h('div', { className: 'jp-VisionLens-patchesStatus' });
  private _tiles = h('div', {
    className: 'jp-VisionLens-patchTiles',
    attrs: { role: 'grid' }
  });
}
