/**
 * The Label Studio round trip as the grid makes it: send the grid's view
 * (`currentView`: the selection, the search results or the filter) to a new
 * project, and take the annotators' work back as edits, first as the changes
 * to look at, then applied as one undoable batch that every panel hears of.
 * The connection (URL and token) is kept for the page's life only, never
 * stored: the token is a credential.
 */
import {
  ILabelStudioChanges,
  ILabelStudioConnection,
  ILabelStudioProject,
  IVisionLensModel
} from '../tokens';
import { rememberBatch } from './edits';
import { currentView } from './exports';

/** What a send asks besides the view. */
export interface ILabelStudioSendOptions {
  title?: string;
  /** Also send this model's objects as a prediction. */
  model?: string;
  minScore?: number;
}

const connections = new WeakMap<IVisionLensModel, ILabelStudioConnection>();

/** The connection used last in this page (empty before the first). */
export function lastConnection(
  model: IVisionLensModel
): ILabelStudioConnection {
  return connections.get(model) ?? { url: '', token: '' };
}

/**
 * Check a connection as typed: an http(s) URL without a trailing slash; a
 * message saying what to fix otherwise.
 */
export function checkedConnection(
  url: string,
  token: string
): ILabelStudioConnection {
  const trimmed = url.trim().replace(/\/+$/, '');
  let parsed: URL;
  try {
    parsed = new URL(trimmed);
  } catch {
    throw new Error('Give Label Studio’s URL, e.g. http://localhost:8080.');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new Error('Label Studio’s URL starts with http:// or https://.');
  }
  return { url: trimmed, token: token.trim() };
}

/** Send the grid's view of `dataset` to a new Label Studio project. */
export async function sendToLabelStudio(
  model: IVisionLensModel,
  dataset: string,
  connection: ILabelStudioConnection,
  options: ILabelStudioSendOptions = {}
): Promise<ILabelStudioProject> {
  connections.set(model, connection);
  return model.client.sendToLabelStudio(dataset, {
    label_studio: connection,
    filter: currentView(model).filter,
    ...(options.title ? { title: options.title } : {}),
    ...(options.model ? { model: options.model } : {}),
    ...(options.model && options.minScore !== undefined
      ? { min_score: options.minScore }
      : {})
  });
}

/**
 * Project `project`'s annotations as edits of `dataset`; with `apply`,
 * applied as one batch (told to every panel). A conflict with an edit made
 * here since the send rejects with the server's message, nothing written.
 */
export async function pullFromLabelStudio(
  model: IVisionLensModel,
  dataset: string,
  project: number,
  connection: ILabelStudioConnection,
  apply: boolean
): Promise<ILabelStudioChanges> {
  connections.set(model, connection);
  const changes = await model.client.pullFromLabelStudio(
    dataset,
    project,
    connection,
    apply
  );
  if (changes.applied > 0 && changes.batch !== null) {
    rememberBatch(model, dataset, changes.batch);
    model.notifyDataChanged({ dataset, kind: 'labels', ids: null });
    void model.refreshDatasets();
  }
  return changes;
}
