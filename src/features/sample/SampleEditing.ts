/**
 * Editing the labels of the sample shown: the edit layer on the stage
 * (select, move, resize, draw), the class the next box or relabel takes
 * (`ClassPicker`), the actions the plugin's commands run (delete, relabel,
 * accept a prediction, undo, redo), the click-to-mask tool and mask brush
 * (`SampleMasking`) and what came of the last one: a conflict with another
 * tab is shown with its two ways out (apply mine over it, or keep theirs).
 */
import { CommandRegistry } from '@lumino/commands';

import { h } from '../../base/dom';
import { visibleText } from '../../base/dataText';
import {
  datasetClasses,
  editLabels,
  EditOutcome,
  redoEdit,
  undoEdit
} from '../../model/sources/edits';
import {
  CommandIDs,
  EditBox,
  EditOperation,
  GROUND_TRUTH,
  IAnnotation,
  IEditConflict,
  ISample,
  IVisionLensModel
} from '../../model/tokens';
import { OverflowToolbar } from '../../ui/toolbar';
import {
  acceptOperation,
  afterSaved,
  deleteOperation,
  moveOperation,
  relabelOperation,
  shapeHint
} from './boxEditing';
import { BoxEditor } from './BoxEditor';
import { ClassPicker } from './classPicker';
import { conflictChoices } from './editConflict';
import { editToolbar } from './editToolbar';
import { PolygonDrawer } from './PolygonDrawer';
import { pointsOperation } from './pointShapes';
import { keypointsOperation, reshapeOperation } from './shapeEditing';
import { DrawnShape, PointShapeTools } from './pointShapeTools';
import { SampleMasking } from './SampleMasking';
import { SampleStage } from './SampleStage';
import { StageTool } from './stagePointer';

/** The edit state and actions of one sample view. */
export class SampleEditing {
  constructor(
    model: IVisionLensModel,
    commands: CommandRegistry,
    stage: SampleStage,
    sample: () => ISample | null
  ) {
    this._model = model;
    this._commands = commands;
    this._stage = stage;
    this._sample = sample;
    const imageSize = (): [number, number] => {
      const s = this._sample();
      return [s?.width || 1, s?.height || 1];
    };
    const say = (text: string) => (this.hint.textContent = visibleText(text));
    this.editor = new BoxEditor({
      objects: () => this._drawnObjects(),
      imageSize,
      selected: () => this._changed(),
      moved: (object, box) => void this.apply([moveOperation(object, box)]),
      drawn: box => void this._add({ bbox: box }),
      reshaped: (object, polygons) =>
        void this.apply([reshapeOperation(object, polygons)]),
      keypointsChanged: (object, points) =>
        void this.apply([keypointsOperation(object, points)]),
      pointsChanged: (object, column, points) =>
        void this.apply([pointsOperation(object, column, points)]),
      say
    });
    stage.setPointer(this.editor);
    this.polygons = new PolygonDrawer(
      imageSize,
      polygon => void this._add({ segmentation: [polygon] }),
      () => this._commands.notifyCommandChanged(CommandIDs.samplePolygonClose)
    );
    stage.setPointer(this.polygons, ['polygon']);
    this.pointShapes = new PointShapeTools(stage, {
      imageSize,
      keypointNames: () =>
        stage.keypointClasses.get(this.pickedClass)?.keypoint_names ?? null,
      hasKeypointClasses: () => stage.keypointClasses.size > 0,
      drawn: shape => void this._add(shape),
      say,
      changed: () => {
        this._commands.notifyCommandChanged(CommandIDs.samplePolylineFinish);
        this._commands.notifyCommandChanged(CommandIDs.sampleKeypointsFinish);
      }
    });
    this.masking = new SampleMasking(model, commands, this, sample);
    stage.setPointer(this.masking.editor, ['mask']);
    stage.setPointer(this.masking.brush, ['brush', 'erase']);
    // another class: the keypoints placed are another skeleton's (dropped)
    this._classPicker = new ClassPicker(() => {
      if (this.tool === 'keypoints') {
        this.setTool('keypoints');
      }
    });
    this.message = h('div', {
      className: 'jp-VisionLens-editMessage',
      attrs: { 'aria-live': 'polite' }
    });
    this.hint = h('div', {
      className: 'jp-VisionLens-editHint',
      attrs: { 'aria-live': 'polite' }
    });
  }

  /** The edit layer over the image. */
  readonly editor: BoxEditor;
  /** The polygon tool's layer. */
  readonly polygons: PolygonDrawer;
  /** The rotated-box and line tools. */
  readonly pointShapes: PointShapeTools;
  /** The click-to-mask tool. */
  readonly masking: SampleMasking;
  /** What came of the last edit (and a conflict's choices), over the image's foot. */
  readonly message: HTMLDivElement;
  /** What can be done with the selected object when a drag cannot move it. */
  readonly hint: HTMLDivElement;

  /** The edit row of the view's toolbar: the commands' buttons and the class picker. */
  createToolbar(): OverflowToolbar {
    const { editor, masking } = this;
    const classItem = this._classPicker.item;
    return editToolbar(this._commands, this._model, classItem, editor, masking);
  }

  /** The selected object, if any. */
  get selection(): IAnnotation | null {
    return this.editor.selection;
  }

  /** The class picked for a new object or a relabel ('' when none). */
  get pickedClass(): string {
    return this._classPicker.value;
  }

  /** The tool of a plain press. */
  get tool(): StageTool {
    return this._stage.tool;
  }

  /** Called with the tool after every change (the view shows which is on). */
  onTool: (tool: StageTool) => void = () => undefined;

  /** Use `tool` for plain drags. */
  setTool(tool: StageTool): void {
    this._stage.setTool(tool);
    this.editor.cancel();
    this.polygons.cancel();
    // the polygon's and line's keys (Enter, Shift Backspace: schema/sample.json) act while on
    const view = this.hint.closest('.jp-VisionLens-sample');
    view?.classList.toggle('jp-VisionLens-mod-polygon', tool === 'polygon');
    this.pointShapes.setTool(tool, view);
    this.masking.setActive(tool === 'mask', /^(brush|erase)$/.test(tool));
    this.onTool(tool);
    for (const id of [
      CommandIDs.sampleDrawBox,
      CommandIDs.sampleDrawPolygon,
      CommandIDs.sampleDrawRotatedBox,
      CommandIDs.sampleDrawPolyline,
      CommandIDs.sampleDrawKeypoints,
      CommandIDs.sampleMaskTool,
      CommandIDs.sampleMaskBrush,
      CommandIDs.sampleMaskEraser
    ]) {
      this._commands.notifyCommandChanged(id);
    }
  }

  /** The sample was read (again; `index`: its row): keep the selection, read the classes. */
  async sampleShown(index: number | null): Promise<void> {
    // the keypoint tool shows where the dataset has keypoint classes (read with the sample)
    this._commands.notifyCommandChanged(CommandIDs.sampleDrawKeypoints);
    if (!this._selectAdded()) {
      this.editor.refresh();
    }
    void this.masking.sampleShown(index);
    const dataset = this._model.dataset;
    if (!dataset) {
      return;
    }
    this._classPicker.setClasses(await datasetClasses(this._model, dataset));
  }

  /**
   * The shown sample's labels were written (an edit here, or a restore, an
   * undo, an edit from elsewhere): the last outcome ("Saved (edit 4).") is
   * no longer what the labels are. An edit or undo of this view says its own
   * right after (its change is told before its answer arrives); a conflict
   * stays, its choices still pending.
   */
  labelsChanged(): void {
    if (!this.message.classList.contains('jp-mod-conflict')) {
      this._say('');
    }
  }

  /** Delete the selected object. */
  deleteSelected(): Promise<void> {
    return this._onSelected(a => deleteOperation(a));
  }

  /** Give the selected object the picked class. */
  relabelSelected(): Promise<void> {
    const label = this._classPicker.value;
    return this._onSelected(a =>
      label && label !== a.label ? relabelOperation(a, label) : null
    );
  }

  /** Make the selected prediction a ground-truth object. */
  acceptSelected(): Promise<void> {
    return this._onSelected(a =>
      a.source !== GROUND_TRUTH ? acceptOperation(a) : null
    );
  }

  /** Undo the dataset's last edit. */
  async undo(): Promise<void> {
    const dataset = this._model.dataset;
    if (dataset) {
      this._show(await undoEdit(this._model, dataset), 'Undone');
    }
  }

  /** Redo the last undone edit. */
  async redo(): Promise<void> {
    const dataset = this._model.dataset;
    if (dataset) {
      this._show(await redoEdit(this._model, dataset), 'Redone');
    }
  }

  private async _onSelected(
    operation: (a: IAnnotation) => EditOperation | null
  ): Promise<void> {
    const selected = this.editor.selection;
    const op = selected ? operation(selected) : null;
    if (selected && op) {
      await this.apply([op]);
    }
  }

  /** Add a drawn box, polygon, rotated box or line (its box: its extent) as an object of the picked class. */
  private async _add(
    shape: { bbox: EditBox } | { segmentation: number[][] } | DrawnShape
  ): Promise<void> {
    const s = this._sample();
    const label = this._classPicker.value;
    if (!s || !label) {
      this.editor.cancel();
      this._say('Pick a class for the new object first.');
      return;
    }
    const outcome = await this.apply([
      { op: 'add', sample_id: s.sample_id, label, ...shape }
    ]);
    this.setTool('select');
    if (outcome?.kind === 'done') {
      this._added = outcome.result.added?.[0] ?? null;
      this._selectAdded(); // the sample may have been read again already
    }
  }

  /** Select the object the last draw added once the sample shows it; whether it did. */
  private _selectAdded(): boolean {
    const added = this._drawnObjects().find(a => a.ann_id === this._added);
    if (added) {
      this._added = null;
      this.editor.select(added);
    }
    return added !== undefined;
  }

  /** Apply a batch on the sample shown; what came of it (null: not sent). */
  async apply(operations: EditOperation[]): Promise<EditOutcome | null> {
    const dataset = this._model.dataset;
    const sampleId = this._sample()?.sample_id;
    if (!dataset || sampleId === undefined) {
      return null;
    }
    this._say('Saving…');
    let outcome: EditOutcome;
    try {
      outcome = await editLabels(this._model, dataset, operations, [sampleId]);
    } catch (error) {
      this.editor.cancel();
      this._say(`Could not save the edit: ${(error as Error).message}`);
      return null;
    }
    if (outcome.kind === 'conflict') {
      this._conflict(outcome.conflict, operations, sampleId);
    } else {
      this._show(outcome, 'Saved');
    }
    const selected = this.editor.selection;
    const saved = selected && afterSaved(selected, operations);
    if (outcome.kind === 'done' && saved !== selected) {
      // a Delete right after a move must not wait for the sample to be read again
      this.editor.select(saved);
    }
    return outcome;
  }

  /** Another tab changed the object: offer to apply this edit over it, or to keep theirs. */
  private _conflict(
    conflict: IEditConflict,
    operations: EditOperation[],
    sampleId: number
  ): void {
    this.editor.cancel();
    const keepTheirs = () => {
      this._say('');
      const dataset = this._model.dataset as string;
      this._model.notifyDataChanged({
        dataset,
        kind: 'labels',
        ids: [sampleId]
      });
    };
    const choices = conflictChoices(
      conflict,
      operations,
      mine => this.apply(mine),
      keepTheirs
    );
    this.message.classList.add('jp-mod-conflict');
    this.message.replaceChildren(...choices);
  }

  private _show(outcome: EditOutcome, done: string): void {
    if (outcome.kind === 'done') {
      this._say(`${done} (edit ${outcome.result.batch}).`);
    } else if (outcome.kind === 'refused') {
      this.editor.cancel();
      this._say(outcome.message);
    } else {
      this._say(outcome.conflict.message);
    }
  }

  private _say(text: string): void {
    this.message.classList.remove('jp-mod-conflict');
    this.message.textContent = visibleText(text);
  }

  /** The objects the stage draws now (a click picks among them). */
  private _drawnObjects(): IAnnotation[] {
    return (this._sample()?.annotations ?? []).filter(a =>
      this._model.isBoxVisible(a.source, a.score)
    );
  }

  private _changed(): void {
    const selected = this.editor.selection;
    this.hint.textContent = (selected && shapeHint(selected)) ?? '';
    for (const id of [
      CommandIDs.sampleDeleteObject,
      CommandIDs.sampleRelabelObject,
      CommandIDs.sampleAcceptObject
    ]) {
      this._commands.notifyCommandChanged(id);
    }
  }

  private _model: IVisionLensModel;
  private _commands: CommandRegistry;
  private _stage: SampleStage;
  private _sample: () => ISample | null;
  private _classPicker: ClassPicker;
  /** The object the last draw added, until the sample shows it. */
  private _added: number | null = null;
}
