/**
 * JSON of the export route (`POST /datasets/{name}/exports`), see
 * visionlens_jlab/openapi.yaml and visionlens_jlab/handlers/export_jobs.py.
 */
import { IFilter } from './types';

/** A file format an export writes: one of `GET /formats`' `exports`. */
export type ExportFormat = string;

/** What an export does with the images: copies, symbolic links, or nothing. */
export type ExportImages = 'copy' | 'symlink' | 'none';

/** The body of an export: a view (filter, one source's labels) and where to write it. */
export interface IExportRequest {
  format: ExportFormat;
  /** A folder on the server's machine; relative: under the server's root folder. */
  out: string;
  /** The samples to export (a filter, or `{ids}` for a selection); all when absent. */
  filter?: IFilter | null;
  /** `ground_truth` (the default) or one model's name. */
  source?: string;
  /** A model's labels: keep those at this score or above. */
  min_score?: number | null;
  /** Only these classes (their ids stay those of the full class list). */
  classes?: string[] | null;
  /** Re-drawn splits (`train=0.8,val=0.2` or `{train: 0.8}`); the catalog's when absent. */
  splits?: string | { [split: string]: number } | null;
  seed?: number;
  images?: ExportImages;
  /** Replace a non-empty `out`. */
  overwrite?: boolean;
  /** The labels as they were at this saved version; as they are now when absent. */
  version?: number | null;
}

/** A saved version of a dataset's labels (`GET /datasets/{name}/versions`). */
export interface ILabelVersion {
  version: number;
  created_at: string;
  message: string;
  samples: number;
  annotations: number;
  user: string;
  /** Its position in the dataset's edit log. */
  seq?: number;
}

/** The result of a finished export job (what `visionlens export --json` prints). */
export interface IExportResult {
  out: string;
  format: ExportFormat;
  samples: number;
  annotations: number;
  files: number;
}
