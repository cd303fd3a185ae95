/**
 * Pointer input on the grid's tiles: click / Shift / Ctrl selection (the
 * clicked tile takes the keyboard focus), double-click opens the sample
 * view and leaves the selection as it was, hover shows the summary. Keys are commands (`gridFocus.ts`).
 */
import { CommandRegistry } from '@lumino/commands';

import { CommandIDs, ISample, IVisionLensModel } from '../../model/tokens';
import { GridClickSelection } from '../../model/gridSelection';
import { GridTooltip } from './GridTooltip';
import { VirtualGrid } from '../../ui/virtualGrid/VirtualGrid';
import { ITileEl } from './tiles';

/** What the input handler acts on. */
export interface IGridInputOptions {
  model: IVisionLensModel;
  commands: CommandRegistry;
  grid: Pick<VirtualGrid<ISample, ITileEl>, 'rowAt' | 'focus'>;
  clicks: GridClickSelection;
  tooltip: GridTooltip;
  /** Where the tooltip is positioned. */
  host: HTMLElement;
}

/** Handles the grid scroller's click, dblclick, mouseover and mouseleave. */
export class GridInput {
  constructor(private readonly _o: IGridInputOptions) {}

  handleEvent(event: Event): void {
    switch (event.type) {
      case 'click':
        void this._onClick(event as MouseEvent);
        break;
      case 'dblclick':
        this._o.clicks.undoClick();
        this._openTile(event.target as Element);
        break;
      case 'mouseover':
        this._onHover(event as MouseEvent);
        break;
      case 'mouseleave':
        this._o.tooltip.hide();
        break;
    }
  }

  private _tileOf(
    target: EventTarget | null
  ): { el: ITileEl; index: number; sample: ISample } | null {
    const hit = this._o.grid.rowAt(target);
    return hit ? { el: hit.tile, index: hit.index, sample: hit.row } : null;
  }

  private async _onClick(event: MouseEvent): Promise<void> {
    const hit = this._tileOf(event.target);
    // the second click of a double-click: the first already acted (and the
    // dblclick that follows takes it back)
    if (hit && event.detail < 2) {
      this._o.grid.focus.set(hit.index);
      await this._o.clicks.click(hit.index, hit.sample.sample_id, {
        shift: event.shiftKey,
        additive: event.ctrlKey || event.metaKey
      });
    }
  }

  private _openTile(target: Element | null): void {
    const hit = this._tileOf(target);
    if (hit) {
      void this._o.commands.execute(CommandIDs.openSample, {
        dataset: this._o.model.dataset,
        sampleId: hit.sample.sample_id,
        index: hit.index
      });
    }
  }

  private _onHover(event: MouseEvent): void {
    const hit = this._tileOf(event.target);
    if (hit) {
      this._o.tooltip.show(this._o.host, hit.el, hit.sample);
    } else {
      this._o.tooltip.hide();
    }
  }
}
