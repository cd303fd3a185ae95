/**
 * JSON of the Label Studio round trip (`POST /datasets/{name}/labelstudio/projects`
 * and `.../projects/{id}/pull`), see visionlens_jlab/openapi.yaml and docs/labelstudio.md.
 */
import { EditOperation } from './editTypes';
import { IFilter } from './types';

/** Where Label Studio is and the token it takes (sent in the body, never a URL). */
export interface ILabelStudioConnection {
  url: string;
  token: string;
}

/** What a send makes a project of. */
export interface ILabelStudioSend {
  label_studio: ILabelStudioConnection;
  filter: IFilter;
  title?: string;
  /** Also send this model's objects as a prediction. */
  model?: string;
  min_score?: number;
}

/** The project a send made. */
export interface ILabelStudioProject {
  project: number;
  /** The project's page in Label Studio. */
  url: string;
  tasks: number;
  objects: number;
}

/** What the annotators changed, as edits (applied when the pull said `apply`). */
export interface ILabelStudioChanges {
  project: number;
  tasks: number;
  annotated: number;
  edits: { added: number; deleted: number; relabelled: number; moved: number };
  operations: EditOperation[];
  /** Annotations that could not become edits, with why. */
  skipped: unknown[];
  applied: number;
  batch: number | null;
}
