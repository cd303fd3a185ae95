/**
 * The patches view: the grid's objects mode. Tiles are objects (a source's
 * boxes or an evaluation's TP / FP / FN patches) cropped with some context,
 * their class and score written as text (dataset text is never HTML), their
 * mask and keypoints drawn over the crop by the grid's label drawing, and a
 * pair (an evaluation patch and its match, or a flagged label and the
 * prediction it disagrees with) as both boxes (`patchCrop`). A click
 * selects a patch; the selection's samples become the shared selection, and
 * the edit row (`PatchEdits`) relabels, deletes, accepts or tags it in bulk.
 * The tiles are the generic `VirtualGrid`'s, as the sample grid's: it
 * scrolls through every object, fetching only the pages in view, with the
 * grid's keys (arrows, Page Up/Down, Home/End, Space and Enter select; T
 * tags the selected objects, Accel A selects none of them) and
 * roles (grid, row, gridcell, `aria-selected`). "Colour by" names an
 * evaluation whose TP / FP / FN status each object then carries (part of the
 * query: its caption says the status, its border has the status colour).
 */
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { fmtInt, h } from '../../base/dom';
import { visibleText } from '../../base/dataText';
import { nameTab } from '../../ui/panelNames';
import { embedWidget } from '../../ui/toolbar';
import { VersionBanner } from '../../ui/VersionBanner';
import { GROUND_TRUTH, IPatch } from '../../model/tokens';
import { KeypointClasses, keypointClasses } from '../../model/labels';
import { IPatchesChoice, PatchesModel } from '../../model/patches';
import {
  evaluationLabel,
  listEvaluations
} from '../../model/sources/evaluations';
import { versionBrowse } from '../../model/versionBrowse';
import { ILabelStyle } from '../../ui/labels/overlay';
import { VirtualGrid } from '../../ui/virtualGrid/VirtualGrid';
import { PatchEdits } from './PatchEdits';
import { IPatchTileEl, PATCH_TILE, PatchTileRenderer } from './patchTiles';
import { objectModels, semanticModels } from '../../model/objectModels';

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
  ],
  regions: [['score', 'Score']]
};

/** The patches panel (opened from the grid's "Objects" toggle). */
export class PatchesWidget extends Widget {
  constructor(patches: PatchesModel, onImages: () => void) {
    super();
    this.patches = patches;
    this._edits = new PatchEdits(patches);
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
    this._colourBy.addEventListener('change', () => {
      void this.patches.setChoice({
        evaluation: this._colourBy.value || undefined
      });
    });
    this._only.addEventListener('change', () => {
      void this.patches.setOnlySelectedSamples(this._only.checked);
    });
    this.grid = new VirtualGrid<IPatch, IPatchTileEl>({
      pages: patches.pages,
      renderer: new PatchTileRenderer({
        cropUrl: (patch, size) =>
          patches.cropUrl(patches.model.dataset as string, patch, size),
        style: this._style,
        keypointClasses: () => this._keypointClasses
      }),
      tileSize: PATCH_TILE,
      label: 'Objects',
      isSelected: annId => patches.isSelected(annId),
      onToggle: patch => void patches.toggle(patch),
      onOpen: patch => patches.toggle(patch),
      beforeRender: () => this._beforeRender(),
      // Accel A: every object of the query is no selection the server can
      // share (it takes object ids), so the key selects nothing here
      selectionKeys: { selectAll: null, tag: () => this._edits.focusTag() }
    });
    this.grid.node.addEventListener('click', event => {
      const hit = this.grid.rowAt(event.target);
      if (hit) {
        this.grid.focus.set(hit.index);
        void this.patches.toggle(hit.row);
      }
    });
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
        this._colourByLabel,
        h('label', { text: ' Selected images only' }, this._only),
        this._count
      ),
      this._edits.node,
      this._status,
      this.grid.node
    );
    embedWidget(this, banner);
    patches.changed.connect(this._render, this);
    patches.started.connect(() => this.grid.reset(), this);
    patches.model.datasetChanged.connect(this._fillChoices, this);
    patches.model.datasetChanged.connect(this._loadKeypointClasses, this);
    patches.model.datasetChanged.connect(this._loadEvaluations, this);
    patches.model.dataChanged.connect((_, change) => {
      if (change.kind === 'evaluation') {
        this._loadEvaluations(); // a new evaluation to colour by
      }
    }, this);
    this._fillChoices();
    this._loadKeypointClasses();
    this._loadEvaluations();
  }

  readonly patches: PatchesModel;
  /** The objects' grid (its `focus` is what the grid's keys move). */
  readonly grid: VirtualGrid<IPatch, IPatchTileEl>;

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.grid.dispose();
    this.patches.dispose();
    super.dispose();
  }

  /** Show the objects from the first one (when opened). */
  load(): Promise<void> {
    this._fillChoices();
    return this.patches.start();
  }

  protected onResize(msg: Widget.ResizeMessage): void {
    this.grid.scheduleRender();
  }

  protected onAfterShow(msg: Message): void {
    this.grid.scheduleRender();
  }

  protected onAfterAttach(msg: Message): void {
    this.grid.scheduleRender();
  }

  protected onActivateRequest(msg: Message): void {
    this.grid.node.focus();
  }

  /** Show these objects in this order (the open-patches command's arguments). */
  async showChoice(choice: Partial<IPatchesChoice>): Promise<void> {
    const done = this.patches.setChoice(choice);
    this._fillChoices();
    await done;
  }

  /**
   * Ground truth, each model's boxes, each model's evaluation patches, each
   * semantic model's regions.
   */
  private _fillChoices(): void {
    const models = objectModels(this.patches.model.currentInfo);
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
    const semantic = semanticModels(this.patches.model.currentInfo);
    if (c.kind === 'regions' && !semantic.includes(c.source)) {
      semantic.push(c.source); // opened from the quality view before the list knew it
    }
    this._kind.append(
      ...semantic.map(m =>
        h('option', { text: `Regions: ${m}`, attrs: { value: `regions:${m}` } })
      )
    );
    this._kind.value = `${c.kind}:${c.source}`;
    this._colourBy.value = c.evaluation ?? '';
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
    // evaluation patches carry their own evaluation's status
    this._colourByLabel.hidden = c.kind !== 'objects';
  }

  private _onKind(): void {
    const value = this._kind.value;
    const at = value.indexOf(':');
    const word = value.slice(0, at);
    const kind = word === 'evaluation' || word === 'regions' ? word : 'objects';
    void this.patches.setChoice({ kind, source: value.slice(at + 1) });
    this._fillSorts();
  }

  private _onSort(): void {
    void this.patches.setChoice({
      sort: this._sort.value,
      order: this._order.value === 'desc' ? 'desc' : 'asc'
    });
  }

  /** A page arrived, the selection or the error changed: counts, status, tiles. */
  private _render(): void {
    const { total, error } = this.patches;
    const dataset = this.patches.model.dataset;
    this._status.textContent =
      error ?? (dataset ? '' : 'Open a dataset from the VisionLens panel.');
    const noun = this.patches.choice.kind === 'regions' ? 'region' : 'object';
    this._count.textContent =
      total === null || !dataset
        ? ''
        : total
          ? `${fmtInt(total)} ${noun}${total === 1 ? '' : 's'}`
          : `No ${noun}s`;
    // a browsed version's objects were not judged: no colours to read
    this._colourBy.disabled = versionBrowse(this.patches.model).isBrowsing;
    this.grid.invalidate();
  }

  /** Draw only while shown, with a dataset and a known total. */
  private _beforeRender(): boolean {
    return (
      !!this.patches.model.dataset &&
      this.patches.total !== null &&
      this.isVisible
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

  /**
   * The dataset's evaluations, "Colour by"'s options ("None" first); a
   * chosen one no longer stored is dropped (the objects are read uncoloured).
   */
  private _loadEvaluations(): void {
    const dataset = this.patches.model.dataset;
    const fill = (options: [string, string][]) => {
      this._colourBy.replaceChildren(
        ...options.map(([value, text]) =>
          h('option', { text: visibleText(text), attrs: { value } })
        )
      );
      this._colourBy.value = this.patches.choice.evaluation ?? '';
    };
    if (dataset !== this._evaluationsOf) {
      fill([['', 'None']]); // not another dataset's while its own are read
      this._evaluationsOf = dataset;
    }
    if (!dataset) {
      return;
    }
    void listEvaluations(this.patches.model, dataset)
      .catch(() => [])
      .then(evaluations => {
        if (dataset !== this.patches.model.dataset || this.isDisposed) {
          return;
        }
        const chosen = this.patches.choice.evaluation;
        if (chosen && !evaluations.some(e => e.key === chosen)) {
          void this.patches.setChoice({ evaluation: undefined });
        }
        fill([
          ['', 'None'],
          ...evaluations.map((e): [string, string] => [
            e.key,
            evaluationLabel(e)
          ])
        ]);
      });
  }

  /** The grid's class colours; a tile's own object is always drawn. */
  private readonly _style: ILabelStyle = {
    isBoxVisible: () => true,
    classColor: label => this.patches.model.classColor(label)
  };
  private readonly _edits: PatchEdits;
  private _keypointClasses: KeypointClasses = new Map();
  /** The dataset whose evaluations "Colour by" lists. */
  private _evaluationsOf: string | null | undefined = undefined;
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
  private _colourBy = h('select', {
    className: 'jp-VisionLens-patchesColourBy',
    attrs: { 'aria-label': 'Colour by' }
  });
  private _colourByLabel = h('label', { text: 'Colour by ' }, this._colourBy);
  private _only = h('input', {
    className: 'jp-VisionLens-patchesOnlySelected',
    attrs: { type: 'checkbox' }
  });
  private _count = h('span', { className: 'jp-VisionLens-patchesCount' });
  private _status = h('div', { className: 'jp-VisionLens-patchesStatus' });
}
