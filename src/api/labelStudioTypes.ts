/**
 * JSON of the Label Studio round trip (`POST /datasets/{name}/labelstudio/projects`
 * and `.../projects/{id}/pull`), see visionlens_jlab/openapi.yaml and docs/labelstudio.md.
 */
import { EditOperation } from './editTypes';
import { IFilter } from './types';
import type {
  IWireLabelStudioChanges,
  IWireLabelStudioProject
} from './wireTypes';

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
export type ILabelStudioProject = IWireLabelStudioProject;

/** What the annotators changed, as edits (applied when the pull said `apply`). */
export interface ILabelStudioChanges extends IWireLabelStudioChanges {
  /** The edits not applied yet, as `POST .../edits` takes them. */
  operations: EditOperation[];
}
