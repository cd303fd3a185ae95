/**
 * "Label Studio…": the round trip from the grid. One form holds where Label
 * Studio is (URL and token, kept for the page's life), what a send makes
 * (the grid's view, a title, a model's objects as predictions) and which
 * project to take back; "Send" makes the project and links to it, "Take
 * back…" shows the annotators' changes as edits and applies them, as one
 * undoable batch, only when asked.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

import { fmtInt, h } from '../../base/dom';
import { visibleText } from '../../base/dataText';
import {
  checkedConnection,
  lastConnection,
  pullFromLabelStudio,
  sendToLabelStudio
} from '../../model/sources/labelStudio';
import {
  EditOperation,
  ILabelStudioChanges,
  IVisionLensModel
} from '../../model/tokens';
import { row, select } from '../../ui/formControls';
import { objectModels } from '../../model/objectModels';

/** What the form holds, as typed. */
export interface ILabelStudioForm {
  url: string;
  token: string;
  title: string;
  /** A model whose objects go as predictions; empty for none. */
  model: string;
  minScore: string;
  project: string;
}

/** The form of the round trip. */
export class LabelStudioForm
  extends Widget
  implements Dialog.IBodyWidget<ILabelStudioForm>
{
  constructor(models: string[], last: { url: string; token: string }) {
    super();
    this.addClass('jp-VisionLens-labelStudioDialog');
    const input = (className: string, label: string, type = 'text') =>
      h('input', {
        className: `${className} jp-mod-styled`,
        attrs: { 'aria-label': label, type, spellcheck: 'false' }
      });
    this._url = input('jp-VisionLens-lsUrl', 'Label Studio URL', 'url');
    this._url.placeholder = 'http://localhost:8080';
    this._url.value = last.url;
    this._token = input('jp-VisionLens-lsToken', 'API token', 'password');
    this._token.value = last.token;
    this._title = input('jp-VisionLens-lsTitle', 'Project title');
    this._title.placeholder = 'VisionLens: the dataset’s name';
    this._model = select('jp-VisionLens-lsModel', 'Predictions', [
      ['', 'none'],
      ...models.map((m): [string, string] => [m, m])
    ]);
    this._minScore = input(
      'jp-VisionLens-lsMinScore',
      'Minimum score',
      'number'
    );
    this._project = input('jp-VisionLens-lsProject', 'Project id', 'number');
    this.node.append(
      row('URL', this._url),
      row('Token', this._token),
      h('h3', { text: 'Send the grid’s view to a new project' }),
      row('Title', this._title),
      row('Predictions', this._model),
      row('Min score', this._minScore),
      h('h3', { text: 'Take a project’s annotations back' }),
      row('Project id', this._project)
    );
  }

  getValue(): ILabelStudioForm {
    return {
      url: this._url.value,
      token: this._token.value,
      title: this._title.value.trim(),
      model: this._model.value,
      minScore: this._minScore.value.trim(),
      project: this._project.value.trim()
    };
  }

  private _url: HTMLInputElement;
  private _token: HTMLInputElement;
  private _title: HTMLInputElement;
  private _model: HTMLSelectElement;
  private _minScore: HTMLInputElement;
  private _project: HTMLInputElement;
}

/** What an `add` draws: its box, else the kind of its shape. */
function addedShape(
  op: Extract<EditOperation, { op: 'add' }>,
  box: (b: number[]) => string
): string {
  if ('bbox' in op && op.bbox) {
    return box(op.bbox);
  }
  if ('keypoints' in op) {
    return 'keypoints';
  }
  if ('obb' in op) {
    return 'rotated box';
  }
  return 'polyline' in op ? 'line' : 'mask';
}

/** One operation of a pull as a line of the changes dialog. */
export function operationText(op: EditOperation): string {
  const box = (b: number[]) => `[${b.map(v => Math.round(v)).join(', ')}]`;
  switch (op.op) {
    case 'add':
      return `add ${op.label} ${addedShape(op, box)} on sample ${op.sample_id}`;
    case 'move':
      return `move object ${op.annotation_id} to ${box(op.bbox)}`;
    case 'mask':
      return `new mask for object ${op.annotation_id}`;
    case 'reshape':
      return `new shape for object ${op.annotation_id}`;
    case 'relabel':
      return `relabel ${'annotation_id' in op ? `object ${op.annotation_id}` : 'objects'} to ${op.label}`;
    case 'delete':
      return `delete ${'annotation_id' in op ? `object ${op.annotation_id}` : 'objects'}`;
    case 'keypoints':
      return `new keypoints for object ${op.annotation_id}`;
    case 'classify':
      return `image labels of sample ${op.sample_id}: ${'labels' in op ? op.labels.join(', ') : op.label}`;
    case 'unclassify':
      return `remove the image labels of sample ${op.sample_id}`;
    default:
      return op.op;
  }
}

/** The changes of a pull in words (keypoints and image labels where some changed). */
export function changesText(changes: ILabelStudioChanges): string {
  const e = changes.edits;
  const skipped = changes.skipped.length
    ? `; ${fmtInt(changes.skipped.length)} annotations could not become edits`
    : '';
  // keypoints and image labels only where there are some: most datasets have neither
  const more = [
    [e.keypoints_changed, 'with new keypoints'],
    [e.classified, 'image labels set'],
    [e.unclassified, 'image labels cleared']
  ]
    .filter(([n]) => n)
    .map(([n, what]) => `, ${fmtInt(n as number)} ${what}`)
    .join('');
  return (
    `${fmtInt(changes.annotated)} of ${fmtInt(changes.tasks)} tasks annotated: ` +
    `${fmtInt(e.added)} added, ${fmtInt(e.deleted)} deleted, ` +
    `${fmtInt(e.relabelled)} relabelled, ${fmtInt(e.moved)} moved, ` +
    `${fmtInt(e.reshaped)} reshaped${more}${skipped}.`
  );
}

function edits(n: number): string {
  return n === 1 ? '1 edit' : `${fmtInt(n)} edits`;
}

/** Most operations the changes dialog lists (the counts say the rest). */
const LISTED = 200;

/** Run the round trip for the grid's view of `dataset`; rejects with what went wrong. */
export async function labelStudioRoundTrip(
  model: IVisionLensModel,
  dataset: string
): Promise<void> {
  const models = objectModels(model.currentInfo);
  const asked = await showDialog({
    title: 'Label Studio',
    body: new LabelStudioForm(models, lastConnection(model)),
    buttons: [
      Dialog.cancelButton(),
      Dialog.okButton({ label: 'Take back…', displayType: 'default' }),
      Dialog.okButton({ label: 'Send' })
    ]
  });
  const form = asked.value;
  if (!asked.button.accept || !form) {
    return;
  }
  const connection = checkedConnection(form.url, form.token);
  if (asked.button.label === 'Send') {
    const score = form.minScore === '' ? undefined : Number(form.minScore);
    const made = await sendToLabelStudio(model, dataset, connection, {
      title: form.title || undefined,
      model: form.model || undefined,
      minScore: score
    });
    const link = h('a', {
      className: 'jp-VisionLens-lsProjectLink',
      text: `Open project ${made.project} in Label Studio`,
      attrs: { href: made.url, target: '_blank', rel: 'noopener noreferrer' }
    });
    await showDialog({
      title: 'Sent to Label Studio',
      body: new Widget({
        node: h(
          'div',
          {},
          h('p', {
            text: `Project ${made.project}: ${fmtInt(made.tasks)} tasks, ${fmtInt(made.objects)} objects.`
          }),
          link
        )
      }),
      buttons: [Dialog.okButton()]
    });
    return;
  }
  const project = Number(form.project);
  if (!Number.isInteger(project) || project <= 0) {
    throw new Error('Give the id of the Label Studio project to take back.');
  }
  const changes = await pullFromLabelStudio(
    model,
    dataset,
    project,
    connection,
    false
  );
  await reviewChanges(model, dataset, project, connection, changes);
}

async function reviewChanges(
  model: IVisionLensModel,
  dataset: string,
  project: number,
  connection: { url: string; token: string },
  changes: ILabelStudioChanges
): Promise<void> {
  const n = changes.operations.length;
  const list = h(
    'ol',
    { className: 'jp-VisionLens-lsChanges' },
    ...changes.operations
      .slice(0, LISTED)
      .map(op => h('li', { text: visibleText(operationText(op)) }))
  );
  const body = h(
    'div',
    {},
    h('p', {
      className: 'jp-VisionLens-lsSummary',
      text: changesText(changes)
    }),
    ...(n
      ? [list]
      : [
          h('p', {
            text: 'Nothing to take back: the labels already show it all.'
          })
        ]),
    ...(n > LISTED ? [h('p', { text: `and ${fmtInt(n - LISTED)} more` })] : [])
  );
  const answer = await showDialog({
    title: `Changes in project ${project}`,
    body: new Widget({ node: body }),
    buttons: n
      ? [Dialog.cancelButton(), Dialog.okButton({ label: `Apply ${edits(n)}` })]
      : [Dialog.okButton()]
  });
  if (!n || !answer.button.accept) {
    return;
  }
  const applied = await pullFromLabelStudio(
    model,
    dataset,
    project,
    connection,
    true
  );
  await showDialog({
    title: 'Changes applied',
    body: `${edits(applied.applied)} applied as edit ${applied.batch} (undo it from the sample view, the patches view or \`visionlens undo\`).`,
    buttons: [Dialog.okButton()]
  });
}
