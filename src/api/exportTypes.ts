/**
 * JSON of the export route (`POST /datasets/{name}/exports`), see
 * visionlens_jlab/openapi.yaml and visionlens_jlab/handlers/export_jobs.py.
 */

import type {
  IWireExportResult,
  IWireExportsRequest,
  IWireDeleteLabelsResult,
  IWireDeleteModelResult,
  IWireEditsDeleteLabelsRequest,
  IWireEditsDeleteSamplesRequest,
  IWireDeleteSamplesResult,
  IWireMergeRequest,
  IWireSubsetRequest,
  IWireVersionInfo
} from './wireTypes';

/** A file format an export writes: one of `GET /formats`' `exports`. */
export type ExportFormat = string;

/** What an export does with the images: copies, symbolic links, or nothing. */
export type ExportImages = 'copy' | 'symlink' | 'none';

/** The body of an export: a view (filter, one source's labels) and where to write it. */
export type IExportRequest = IWireExportsRequest;

/** A saved version of a dataset's labels (`GET /datasets/{name}/versions`). */
export type ILabelVersion = IWireVersionInfo;

/** The result of a finished export job (what `visionlens export --json` prints). */
export type IExportResult = IWireExportResult;

/**
 * The body of `POST /datasets/{name}/subset`: the view (`filter`) copied into
 * a new dataset `to` (visionlens_jlab/handlers/bulk.py).
 */
export type ISubsetRequest = IWireSubsetRequest;

/**
 * The body of `POST /datasets/{name}/merge`: the dataset `from` merged into
 * `name`, samples matched by `key` (visionlens_jlab/handlers/bulk.py).
 */
export type IMergeRequest = IWireMergeRequest;

/**
 * The body of `POST /datasets/{name}/edits/delete_labels`: the labels of
 * `source` on the view's samples, deleted as one undoable batch (or only
 * counted, `dry_run`).
 */
export type IDeleteLabelsRequest = IWireEditsDeleteLabelsRequest;

/** Its answer: the batch's, with how many objects went (or would go). */
export type IDeleteLabelsResult = IWireDeleteLabelsResult;

/**
 * The body of `POST /datasets/{name}/edits/delete_samples`: the view's samples
 * deleted with every row and vector of theirs as one undoable batch (or only
 * counted, `dry_run`).
 */
export type IDeleteSamplesRequest = IWireEditsDeleteSamplesRequest;

/** Its answer: the batch's, with the samples and labels that went (or would). */
export type IDeleteSamplesResult = IWireDeleteSamplesResult;

/**
 * The answer of `DELETE /datasets/{name}/models/{model}`: what went of the
 * model (or would go, `dry_run`): its objects, image labels, label maps and
 * evaluations. Not undoable, like an import.
 */
export type IDeleteModelResult = IWireDeleteModelResult;
