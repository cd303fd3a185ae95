/**
 * The class picker of the sample view's edit row: the class a new object or
 * a relabel takes, chosen among the dataset's classes. Keys typed in it are
 * its own, not the view's shortcuts; Escape hands the keys back to the view.
 */
import { Widget } from '@lumino/widgets';

import { visibleText } from '../../base/dataText';
import { h } from '../../base/dom';
import { toolbarItem } from '../../ui/toolbar';

/** A `<select>` of the dataset's classes, in a toolbar item. */
export class ClassPicker {
  /** `changed` runs when the user picks another class. */
  constructor(changed: () => void) {
    this._select = h('select', {
      className: 'jp-VisionLens-editClass jp-mod-styled',
      attrs: { 'aria-label': 'Class of a new box or a relabel' }
    });
    this._select.addEventListener('change', changed);
    // a letter picks a class; Escape leaves the picker (the next one closes the view)
    this._select.addEventListener('keydown', e => {
      e.stopPropagation();
      if (e.key === 'Escape') {
        const view = this._select.closest('.jp-VisionLens-sample');
        (view as HTMLElement | null)?.focus();
      }
    });
    this.item = toolbarItem('jp-VisionLens-editClassItem', this._select);
  }

  /** The picker, for the view's toolbar. */
  readonly item: Widget;

  /** The class picked ('' when none). */
  get value(): string {
    return this._select.value;
  }

  /** Offer `classes`: the one picked stays picked if among them, else the first. */
  setClasses(classes: string[]): void {
    const kept = this._select.value;
    this._select.replaceChildren(
      ...classes.map(c => h('option', { attrs: { value: c } }, visibleText(c)))
    );
    this._select.value = classes.includes(kept) ? kept : (classes[0] ?? '');
  }

  private _select: HTMLSelectElement;
}
