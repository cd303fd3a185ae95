/**
 * Label edits as the panels make them: a batch of operations, undo and redo,
 * each answered as an outcome a panel can show (done, a conflict to resolve,
 * or the server's reason for refusing), and told to every panel through
 * `dataChanged`; a version restored is one such batch too. Also the classes
 * an object may take.
 */
import { Event } from '@jupyterlab/services';
import { ISignal } from '@lumino/signaling';

import { VisionLensAPIError } from '../../api/restTransport';
import { visionLensEvent } from '../../api/serverEvents';
import {
  EditOperation,
  IEditConflict,
  IEditedObject,
  IEditResult,
  isObjectConflict,
  IVisionLensModel
} from '../tokens';
import { versionBrowse } from '../versionBrowse';

/** What became of an edit, an undo or a redo. */
export type EditOutcome =
  | { kind: 'done'; result: IEditResult }
  /** An object changed since the caller saw it: nothing was written. */
  | { kind: 'conflict'; conflict: IEditConflict }
  /** The server refused the batch (invalid, nothing to undo): nothing was written. */
  | { kind: 'refused'; message: string };

/**
 * Apply `operations` to `dataset` as one batch. `sampleIds` are the samples
 * they touch (null: unknown), told to the other panels when it is written.
 */
export function editLabels(
  model: IVisionLensModel,
  dataset: string,
  operations: EditOperation[],
  sampleIds: readonly number[] | null
): Promise<EditOutcome> {
  return (
    readOnly(model, dataset) ??
    settle(
      model,
      dataset,
      sampleIds,
      model.client.applyEdits(dataset, operations)
    )
  );
}

/** Undo the dataset's last batch (any sample may change). */
export function undoEdit(
  model: IVisionLensModel,
  dataset: string
): Promise<EditOutcome> {
  return (
    readOnly(model, dataset) ??
    settle(model, dataset, null, model.client.undoEdit(dataset))
  );
}

/** Redo the dataset's last undone batch (any sample may change). */
export function redoEdit(
  model: IVisionLensModel,
  dataset: string
): Promise<EditOutcome> {
  return (
    readOnly(model, dataset) ??
    settle(model, dataset, null, model.client.redoEdit(dataset))
  );
}

/**
 * A refusal while a saved version of `dataset` is browsed (it is read-only:
 * the edit would change the current labels the user does not see), or null.
 */
function readOnly(
  model: IVisionLensModel,
  dataset: string
): Promise<EditOutcome> | null {
  const { version } = versionBrowse(model).params(dataset);
  return version === undefined
    ? null
    : Promise.resolve({
        kind: 'refused',
        message: `Version ${version} is read-only: go back to the current labels to edit.`
      });
}

/**
 * Make `dataset`'s labels what they were at saved `version`: one batch of
 * kind `restore` (undo takes it back); any sample may change.
 */
export function restoreVersion(
  model: IVisionLensModel,
  dataset: string,
  version: number
): Promise<EditOutcome> {
  return settle(
    model,
    dataset,
    null,
    model.client.restoreVersion(dataset, version)
  );
}

async function settle(
  model: IVisionLensModel,
  dataset: string,
  ids: readonly number[] | null,
  request: Promise<IEditResult>
): Promise<EditOutcome> {
  let result: IEditResult;
  try {
    result = await request;
  } catch (error) {
    if (error instanceof VisionLensAPIError && error.status === 409) {
      const conflict = asConflict(error.body);
      if (conflict) {
        return { kind: 'conflict', conflict };
      }
    }
    if (error instanceof VisionLensAPIError && error.status < 500) {
      return { kind: 'refused', message: error.message };
    }
    throw error;
  }
  rememberBatch(model, dataset, result.batch);
  model.notifyDataChanged({ dataset, kind: 'labels', ids });
  void model.refreshDatasets(); // the object counts of the datasets list
  return { kind: 'done', result };
}

const ownBatches = new WeakMap<IVisionLensModel, Set<string>>();

/** A batch this page wrote (its server event then changes nothing more). */
export function rememberBatch(
  model: IVisionLensModel,
  dataset: string,
  batch: number
): void {
  const own = ownBatches.get(model) ?? new Set<string>();
  own.add(`${dataset}\u0000${batch}`);
  ownBatches.set(model, own);
}

/**
 * Follow the server's label events: a batch written elsewhere (another tab,
 * another user, a notebook, the command line through the server) is told to
 * the panels as this page's own edits are; this page's own are told already.
 */
export function followLabelEdits(
  model: IVisionLensModel,
  events: ISignal<unknown, Event.Emission> | null
): void {
  events?.connect((_, emission) => {
    const event = visionLensEvent(emission);
    if (event?.type !== 'labels') {
      return;
    }
    const key = `${event.dataset}\u0000${event.batch}`;
    if (ownBatches.get(model)?.delete(key)) {
      return;
    }
    model.notifyDataChanged({
      dataset: event.dataset,
      kind: 'labels',
      ids: event.sampleIds
    });
    model.refreshDatasets().catch(() => undefined);
  });
}

function asConflict(body: unknown): IEditConflict | null {
  const value = body as Partial<IEditConflict> | null;
  const conflict = value && typeof value === 'object' ? value.conflict : null;
  return conflict &&
    typeof conflict === 'object' &&
    ('annotation_id' in conflict || 'sample_id' in conflict)
    ? (value as IEditConflict)
    : null;
}

/**
 * What a conflict says the other tab did, as the panel tells it, and the object as it
 * is now (null: deleted, or the conflict is about a sample's tags or image labels:
 * nothing to apply over).
 */
export function conflictNow(conflict: IEditConflict): {
  current: IEditedObject | null;
  text: string;
} {
  if (!isObjectConflict(conflict)) {
    const sampleConflict = conflict.conflict;
    if ('labels' in sampleConflict) {
      const { sample_id, labels } = sampleConflict;
      const now = labels
        ? `now [${[...labels].sort().join(', ')}]`
        : 'the sample was deleted';
      return {
        current: null,
        text: `The image labels of sample ${sample_id} changed in another tab: ${now}.`
      };
    }
    const { sample_id, tags } = sampleConflict;
    const now = tags
      ? `now [${[...tags].sort().join(', ')}]`
      : 'the sample was deleted';
    return {
      current: null,
      text: `The tags of sample ${sample_id} changed in another tab: ${now}.`
    };
  }
  const current = conflict.conflict.current;
  const box = current?.bbox.map(v => Math.round(v)).join(', ');
  return {
    current,
    text: current
      ? `Changed in another tab: now ${current.label} at [${box}].`
      : 'Deleted in another tab.'
  };
}

const classesLoaded = new WeakMap<
  IVisionLensModel,
  { key: string; classes: Promise<string[]> }
>();

/**
 * The classes of `dataset`'s ground truth (what an object may be relabelled
 * to), read once per dataset (and again when it is ingested anew); none when
 * they cannot be read.
 */
export function datasetClasses(
  model: IVisionLensModel,
  dataset: string
): Promise<string[]> {
  const created = model.datasets.find(d => d.name === dataset)?.created_at;
  const key = `${dataset}\u0000${created ?? ''}`;
  const held = classesLoaded.get(model);
  if (held && held.key === key) {
    return held.classes;
  }
  const classes = model.client
    .getDataset(dataset)
    .then(detail => [...(detail.categories ?? [])])
    .catch(() => [] as string[]);
  classesLoaded.set(model, { key, classes });
  return classes;
}
