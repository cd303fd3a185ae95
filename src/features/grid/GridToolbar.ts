/**
 * The grid's header: exact counts, selection actions, the panels to open and
 * "Export…", tagging, tile size, confidence threshold, box-source toggles,
 * the selection as code and the search row.
 */
import { CommandRegistry } from '@lumino/commands';
import { Panel, Widget } from '@lumino/widgets';

import { CommandIDs, GROUND_TRUTH, IVisionLensModel } from '../../model/tokens';
import { LabelTypeToggles } from '../../model/labels';
import {
  evalColourControl,
  labelTypeControl
} from '../../ui/labels/labelTypeControl';
import { fmtInt, h } from '../../base/dom';
import {
  commandButton,
  OverflowToolbar,
  textButton,
  toolbarItem,
  toolbarSpacer
} from '../../ui/toolbar';
import { SearchBar } from './SearchBar';
import { viewActionItems } from './viewActions';
import { SelectionCode } from './SelectionCode';
import { tracksItem } from './tracksItem';
import { VersionBanner } from '../../ui/VersionBanner';

/** Options of the toolbar. */
export interface IGridToolbarOptions {
  model: IVisionLensModel;
  commands: CommandRegistry;
  /** The label types the tiles draw. */
  labelTypes: LabelTypeToggles;
  tileSize: number;
  onTileSize: (size: number) => void;
}

/**
 * Header of the grid panel: two toolbars (what is shown and selected, and
 * the panels to open; tagging and how tiles are drawn), whose items that do
 * not fit go to their "…" menu, then the selection as code and the search row.
 */
export class GridToolbar extends Panel {
  constructor(options: IGridToolbarOptions) {
    super();
    this._model = options.model;
    const model = this._model;
    const commands = options.commands;
    this.addClass('jp-VisionLens-gridToolbar');

    this._count = h('span', { className: 'jp-VisionLens-count', text: '' });
    this._selected = h('span', { className: 'jp-VisionLens-selectionCount' });

    this._tagInput = h('input', {
      className: 'jp-VisionLens-tagInput jp-mod-styled',
      attrs: {
        placeholder: 'tag',
        'aria-label': 'Tag for the selected samples'
      }
    });
    this._tagInput.addEventListener('keydown', e => {
      if (e.key === 'Enter') {
        void this._tag(true);
      }
    });
    this._tagStatus = h('span', { className: 'jp-VisionLens-tagStatus' });

    this._size = h('input', {
      className: 'jp-VisionLens-tileSize',
      attrs: {
        type: 'range',
        min: '96',
        max: '384',
        step: '16',
        'aria-label': 'Tile size'
      }
    });
    this._size.value = String(options.tileSize);
    this._size.addEventListener('input', () =>
      options.onTileSize(Number(this._size.value))
    );

    this._conf = h('input', {
      className: 'jp-VisionLens-confidence',
      attrs: {
        type: 'range',
        min: '0',
        max: '1',
        step: '0.05',
        'aria-label': 'Minimum prediction confidence'
      }
    });
    this._confLabel = h('span', { className: 'jp-VisionLens-confidenceValue' });
    this._conf.addEventListener('input', () =>
      model.setConfidenceThreshold(Number(this._conf.value))
    );
    this._sources = h('span', { className: 'jp-VisionLens-sources' });
    this._search = new SearchBar(model, commands);
    this._selectionCode = new SelectionCode(model);

    // Items go to the "…" menu from the end of a toolbar: the least used last.
    const shown = new OverflowToolbar('jp-VisionLens-gridShownBar').add(
      ['count', toolbarItem('jp-VisionLens-countItem', this._count)],
      ['selected', toolbarItem('jp-VisionLens-selectedItem', this._selected)],
      [
        'select-all',
        commandButton(commands, CommandIDs.selectAll, {
          label: 'Select all matching',
          className: 'jp-VisionLens-selectAll'
        })
      ],
      [
        'clear-selection',
        commandButton(commands, CommandIDs.clearSelection, {
          label: 'Clear selection',
          className: 'jp-VisionLens-clearSelection'
        })
      ],
      ['spacer', toolbarSpacer()],
      [
        'filters',
        commandButton(commands, CommandIDs.openFilters, {
          label: 'Filters',
          className: 'jp-VisionLens-openFilters'
        })
      ],
      [
        'map',
        commandButton(commands, CommandIDs.openMap, {
          label: 'Map',
          className: 'jp-VisionLens-openMap'
        })
      ],
      [
        'evaluation',
        commandButton(commands, CommandIDs.openEvaluation, {
          label: 'Evaluation',
          className: 'jp-VisionLens-openEvaluation'
        })
      ],
      ...viewActionItems(commands),
      [
        'patches',
        commandButton(commands, CommandIDs.openPatches, {
          label: 'Objects',
          className: 'jp-VisionLens-openPatches'
        })
      ],
      [
        'videos',
        commandButton(commands, CommandIDs.openVideos, {
          label: 'Videos',
          className: 'jp-VisionLens-openVideos'
        })
      ],
      ['tracks', tracksItem(commands, model)],
      [
        'versions',
        commandButton(commands, CommandIDs.openVersions, {
          label: 'Versions',
          className: 'jp-VisionLens-openVersions'
        })
      ],
      // The sidebar panels too: their tabs are far from the samples.
      [
        'quality',
        commandButton(commands, CommandIDs.openQuality, {
          label: 'Quality',
          className: 'jp-VisionLens-openQuality'
        })
      ],
      [
        'duplicates',
        commandButton(commands, CommandIDs.openDuplicates, {
          label: 'Duplicates',
          className: 'jp-VisionLens-openDuplicates'
        })
      ],
      [
        'blind-spots',
        commandButton(commands, CommandIDs.openBlindSpots, {
          label: 'Blind spots',
          className: 'jp-VisionLens-openBlindSpots'
        })
      ],
      [
        'show-selected',
        commandButton(commands, CommandIDs.showSelected, {
          label: 'Show only selected',
          className: 'jp-VisionLens-showSelected'
        })
      ],
      [
        'label-studio',
        commandButton(commands, CommandIDs.labelStudio, {
          label: 'Label Studio…',
          className: 'jp-VisionLens-labelStudio'
        })
      ]
    );
    const tagged = new OverflowToolbar('jp-VisionLens-gridTagBar').add(
      ['tag-input', toolbarItem('jp-VisionLens-tagInputItem', this._tagInput)],
      [
        'tag',
        textButton({
          label: 'Tag',
          className: 'jp-VisionLens-tagButton',
          tooltip: 'Add the tag to the selected samples',
          onClick: () => this._tag(true)
        })
      ],
      [
        'untag',
        textButton({
          label: 'Untag',
          className: 'jp-VisionLens-untagButton',
          tooltip: 'Remove the tag from the selected samples',
          onClick: () => this._tag(false)
        })
      ],
      [
        'tag-status',
        toolbarItem('jp-VisionLens-tagStatusItem', this._tagStatus)
      ],
      ['spacer', toolbarSpacer()],
      [
        'size',
        toolbarItem(
          'jp-VisionLens-sizeItem',
          h(
            'label',
            { className: 'jp-VisionLens-control' },
            'Size ',
            this._size
          )
        )
      ],
      [
        'confidence',
        toolbarItem(
          'jp-VisionLens-confidenceItem',
          h(
            'label',
            { className: 'jp-VisionLens-control' },
            'Score ≥ ',
            this._conf,
            this._confLabel
          )
        )
      ],
      ['sources', toolbarItem('jp-VisionLens-sourcesItem', this._sources)],
      ['label-types', labelTypeControl(options.labelTypes, true)],
      ['eval-colours', evalColourControl(options.labelTypes)]
    );
    this.addWidget(shown);
    this.addWidget(tagged);
    this.addWidget(new Widget({ node: this._selectionCode.node }));
    this.addWidget(new Widget({ node: this._search.node }));
    this.insertWidget(0, new VersionBanner(model));
    model.viewChanged.connect(this._syncView, this);
    model.datasetChanged.connect(this._syncView, this);
    model.datasetsChanged.connect(this._syncView, this);
    this._syncView();
  }

  /** The search's notebook call (the grid shows it in its view row). */
  get searchCode(): HTMLElement {
    return this._search.codeNode;
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._search.dispose();
    this._selectionCode.dispose();
    this._model.viewChanged.disconnect(this._syncView, this);
    this._model.datasetChanged.disconnect(this._syncView, this);
    this._model.datasetsChanged.disconnect(this._syncView, this);
    super.dispose();
  }

  /**
   * Show "N of M samples" (both from the server) and the selection count; in
   * a search, "N most similar of M samples".
   */
  setCounts(
    filtered: number | null,
    total: number | null,
    selected: number | null,
    searching = false
  ): void {
    const text =
      filtered === null
        ? 'Loading…'
        : `${fmtInt(filtered)}${searching ? ' most similar' : ''} of ${fmtInt(total ?? filtered)} samples`;
    if (this._count.textContent !== text) {
      this._count.textContent = text;
      this._count.dataset.filtered = String(filtered ?? '');
      this._count.dataset.total = String(total ?? '');
      this._count.classList.toggle('jp-mod-search', searching);
    }
    const sel = selected ? `${fmtInt(selected)} selected` : 'none selected';
    if (this._selected.textContent !== sel) {
      this._selected.textContent = sel;
      this._selected.dataset.count = String(selected ?? 0);
    }
  }

  setTileSize(size: number): void {
    this._size.value = String(size);
  }

  private async _tag(add: boolean): Promise<void> {
    const tag = this._tagInput.value.trim();
    if (!tag) {
      this._tagStatus.textContent = 'Type a tag first.';
      return;
    }
    if (
      this._model.selection.mode === 'ids' &&
      this._model.selection.ids.size === 0
    ) {
      this._tagStatus.textContent = 'Select samples first.';
      return;
    }
    this._tagStatus.textContent = add ? 'Tagging…' : 'Untagging…';
    try {
      const n = await (add
        ? this._model.tagSelection([tag], [])
        : this._model.tagSelection([], [tag]));
      this._tagStatus.textContent = `${add ? 'Tagged' : 'Untagged'} ${fmtInt(n)} sample${n === 1 ? '' : 's'}`;
    } catch (error) {
      this._tagStatus.textContent = `Tagging failed: ${(error as Error).message}`;
    }
  }

  private _syncView(): void {
    const model = this._model;
    this._conf.value = String(model.confidenceThreshold);
    this._confLabel.textContent = model.confidenceThreshold.toFixed(2);
    const sources = [
      GROUND_TRUTH,
      ...(model.currentInfo?.models ?? []).map(m => m.name)
    ];
    const key = sources.join('\u0000');
    if (key !== this._sourcesKey) {
      this._sourcesKey = key;
      this._sources.replaceChildren(
        ...sources.map(source => {
          const box = h('input', { attrs: { type: 'checkbox' } });
          box.dataset.source = source;
          box.addEventListener('change', () =>
            model.setSourceVisible(source, box.checked)
          );
          return h(
            'label',
            {
              className: `jp-VisionLens-sourceToggle ${source === GROUND_TRUTH ? 'jp-mod-gt' : 'jp-mod-pred'}`,
              title:
                source === GROUND_TRUTH
                  ? 'Ground truth (solid)'
                  : `Predictions of ${source} (dashed)`
            },
            box,
            source === GROUND_TRUTH ? 'ground truth' : source
          );
        })
      );
    }
    for (const box of this._sources.querySelectorAll('input')) {
      box.checked = model.isSourceVisible(box.dataset.source ?? '');
    }
  }

  private _model: IVisionLensModel;
  private _count: HTMLSpanElement;
  private _selected: HTMLSpanElement;
  private _tagInput: HTMLInputElement;
  private _tagStatus: HTMLSpanElement;
  private _size: HTMLInputElement;
  private _conf: HTMLInputElement;
  private _confLabel: HTMLSpanElement;
  private _sources: HTMLSpanElement;
  private _search: SearchBar;
  private _selectionCode: SelectionCode;
  private _sourcesKey = '';
}
