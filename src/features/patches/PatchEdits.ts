/**
 * Bulk edits of the selected patches: relabel them to a picked class, delete
 * them, accept the selected predictions as ground truth, tag or untag them,
 * and undo the last edit. Each action is one batch (all or nothing) through
 * the model's edit source; the page and the other panels follow its
 * `dataChanged`.
 */
import { fmtInt, h } from '../../base/dom';
import { visibleText } from '../../base/dataText';
import { PatchesModel } from '../../model/patches';
import {
  datasetClasses,
  editLabels,
  EditOutcome,
  undoEdit
} from '../../model/sources/edits';
import { versionBrowse } from '../../model/versionBrowse';
import { EditOperation, GROUND_TRUTH } from '../../model/tokens';

/** The edit row of the patches view (shown while patches are selected). */
export class PatchEdits {
  constructor(patches: PatchesModel) {
    this._patches = patches;
    const button = (label: string, className: string, run: () => unknown) => {
      const b = h('button', {
        className: `jp-mod-styled ${className}`,
        text: label
      });
      b.addEventListener('click', () => void run());
      return b;
    };
    this._relabel = button('Relabel', 'jp-VisionLens-patchesRelabel', () =>
      this._bulk(ids => ({
        op: 'relabel',
        annotation_ids: ids,
        label: this._class.value
      }))
    );
    this._delete = button('Delete', 'jp-VisionLens-patchesDelete', () =>
      this._bulk(ids => ({ op: 'delete', annotation_ids: ids }))
    );
    this._accept = button('Accept', 'jp-VisionLens-patchesAccept', () =>
      this._bulk(ids => ({ op: 'accept', annotation_ids: ids }), true)
    );
    const tag = (op: 'tag' | 'untag') => () => {
      const value = this._tag.value.trim();
      return value
        ? this._bulk(ids => ({ op, annotation_ids: ids, tag: value }))
        : this._say('Type a tag first.');
    };
    this.node = h(
      'div',
      { className: 'jp-VisionLens-patchesEdits' },
      this._count,
      this._class,
      this._relabel,
      this._delete,
      this._accept,
      this._tag,
      button('Tag', 'jp-VisionLens-patchesTag', tag('tag')),
      button('Untag', 'jp-VisionLens-patchesUntag', tag('untag')),
      button('Undo', 'jp-VisionLens-patchesUndo', () => this._undo()),
      this._message
    );
    patches.changed.connect(this.update, this);
    this.update();
  }

  /** The row. */
  readonly node: HTMLDivElement;

  /** Show the selection's size, the actions it allows and the dataset's classes. */
  update(): void {
    const picked = this._patches.selectedPatches;
    // a browsed version is read-only: its patches take no bulk edit; nor do
    // a semantic run's regions, which are no objects
    const browsing = versionBrowse(this._patches.model).isBrowsing;
    const regions = this._patches.choice.kind === 'regions';
    this.node.hidden =
      browsing ||
      regions ||
      (picked.length === 0 && !this._message.textContent);
    this._count.textContent = `${fmtInt(picked.length)} selected`;
    this._accept.disabled = !picked.some(p => p.source !== GROUND_TRUTH);
    for (const b of [this._relabel, this._delete]) {
      b.disabled = picked.length === 0;
    }
    void this._fillClasses();
  }

  /**
   * The T key in the patches view: the tag input of the selected objects,
   * focused (nothing selected: says so).
   */
  focusTag(): void {
    if (this._patches.selectedPatches.length === 0) {
      this._say('Select objects to tag first.');
      return;
    }
    this._say('');
    this._tag.focus();
    this._tag.select();
  }

  private async _fillClasses(): Promise<void> {
    const dataset = this._patches.model.dataset;
    const classes = dataset
      ? await datasetClasses(this._patches.model, dataset)
      : [];
    if (classes.join('\u0000') === this._classes.join('\u0000')) {
      return;
    }
    this._classes = classes;
    const kept = this._class.value;
    this._class.replaceChildren(
      ...classes.map(c =>
        h('option', { text: visibleText(c), attrs: { value: c } })
      )
    );
    this._class.value = classes.includes(kept) ? kept : (classes[0] ?? '');
  }

  /** One batch over the selected objects (the predictions only, `predictions`). */
  private async _bulk(
    operation: (ids: number[]) => EditOperation,
    predictions = false
  ): Promise<void> {
    const dataset = this._patches.model.dataset;
    const picked = this._patches.selectedPatches.filter(
      p => !predictions || p.source !== GROUND_TRUTH
    );
    if (!dataset || picked.length === 0) {
      return;
    }
    const samples = [...new Set(picked.map(p => p.sample_id))];
    const op = operation(picked.map(p => p.ann_id));
    this._say('Saving…');
    try {
      this._show(
        await editLabels(this._patches.model, dataset, [op], samples),
        `${op.op === 'accept' ? 'Accepted' : 'Changed'} ${fmtInt(picked.length)} objects`
      );
    } catch (error) {
      this._say(`Could not save the edit: ${(error as Error).message}`);
    }
  }

  private async _undo(): Promise<void> {
    const dataset = this._patches.model.dataset;
    if (dataset) {
      this._show(await undoEdit(this._patches.model, dataset), 'Undone');
    }
  }

  private _show(outcome: EditOutcome, done: string): void {
    if (outcome.kind === 'done') {
      this._say(`${done} (edit ${outcome.result.batch}).`);
    } else if (outcome.kind === 'refused') {
      this._say(outcome.message);
    } else {
      this._say(
        `${outcome.conflict.message} The page was read again: try once more.`
      );
    }
  }

  private _say(text: string): void {
    this._message.textContent = visibleText(text);
    this.update();
  }

  private _patches: PatchesModel;
  private _classes: string[] = [];
  private _count = h('span', { className: 'jp-VisionLens-patchesSelected' });
  private _class = h('select', {
    className: 'jp-VisionLens-patchesClass jp-mod-styled',
    attrs: { 'aria-label': 'Class to relabel the selected objects to' }
  });
  private _tag = h('input', {
    className: 'jp-VisionLens-patchesTagInput jp-mod-styled',
    attrs: { placeholder: 'tag', 'aria-label': 'Tag for the selected objects' }
  });
  private _relabel: HTMLButtonElement;
  private _delete: HTMLButtonElement;
  private _accept: HTMLButtonElement;
  private _message = h('span', {
    className: 'jp-VisionLens-patchesEditMessage',
    attrs: { 'aria-live': 'polite' }
  });
}
