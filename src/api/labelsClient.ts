/**
 * The REST methods of the labels' room: edits, undo and redo, versions and
 * their diffs and restores, the Label Studio round trip, and the patches
 * view's objects, and click-to-mask (the mask an edit then keeps).
 * `VisionLensClient` extends this class: one client, its methods kept in
 * files by room.
 */
import { EditOperation, IEditResult } from './editTypes';
import { ILabelVersion } from './exportTypes';
import {
  ILabelStudioChanges,
  ILabelStudioConnection,
  ILabelStudioProject,
  ILabelStudioSend
} from './labelStudioTypes';
import { IPatchesPage, IPatchQuery, IRegionPatchesPage } from './patchTypes';
import { enc, RestTransport } from './restTransport';
import {
  ISegmentMask,
  ISegmentPrefetch,
  ISegmentRequest
} from './segmentTypes';
import { IFilter } from './types';
import { IVersionDiff, IVersionDiffQuery } from './versionTypes';

/** The labels' endpoints over the HTTP transport. */
export class LabelsTransport extends RestTransport {
  async listVersions(
    dataset: string,
    signal?: AbortSignal
  ): Promise<ILabelVersion[]> {
    const data = await this._request<{ versions: ILabelVersion[] }>(
      `datasets/${enc(dataset)}/versions`,
      { signal }
    );
    return data.versions;
  }

  saveVersion(dataset: string, message: string): Promise<ILabelVersion> {
    return this._post(`datasets/${enc(dataset)}/versions`, { message });
  }

  diffVersions(
    dataset: string,
    query: IVersionDiffQuery,
    signal?: AbortSignal
  ): Promise<IVersionDiff> {
    const params = new URLSearchParams({
      from: String(query.from),
      to: String(query.to)
    });
    if (query.source) {
      params.set('source', query.source);
    }
    if (query.model) {
      params.set('model', query.model);
      params.set('protocol', query.protocol ?? 'coco');
      params.set('iou', String(query.iou ?? 0.5));
    }
    return this._request(
      `datasets/${enc(dataset)}/versions/diff?${params.toString()}`,
      { signal }
    );
  }

  restoreVersion(dataset: string, version: number): Promise<IEditResult> {
    return this._post(
      `datasets/${enc(dataset)}/versions/${enc(String(version))}/restore`,
      {}
    );
  }

  applyEdits(
    dataset: string,
    operations: EditOperation[]
  ): Promise<IEditResult> {
    return this._post(`datasets/${enc(dataset)}/edits`, { operations });
  }

  undoEdit(dataset: string): Promise<IEditResult> {
    return this._post(`datasets/${enc(dataset)}/edits/undo`, {});
  }

  redoEdit(dataset: string): Promise<IEditResult> {
    return this._post(`datasets/${enc(dataset)}/edits/redo`, {});
  }

  segmentSample(
    dataset: string,
    sampleId: number,
    request: ISegmentRequest,
    signal?: AbortSignal
  ): Promise<ISegmentMask> {
    return this._post(
      `datasets/${enc(dataset)}/samples/${enc(String(sampleId))}/segment`,
      request,
      signal
    );
  }

  prefetchSegment(
    dataset: string,
    model: string,
    sampleIds: number[]
  ): Promise<ISegmentPrefetch> {
    return this._post(`datasets/${enc(dataset)}/segment/prefetch`, {
      model,
      sample_ids: sampleIds
    });
  }

  sendToLabelStudio(
    dataset: string,
    request: ILabelStudioSend
  ): Promise<ILabelStudioProject> {
    return this._post(`datasets/${enc(dataset)}/labelstudio/projects`, request);
  }

  pullFromLabelStudio(
    dataset: string,
    project: number,
    connection: ILabelStudioConnection,
    apply: boolean
  ): Promise<ILabelStudioChanges> {
    return this._post(
      `datasets/${enc(dataset)}/labelstudio/projects/${project}/pull`,
      { label_studio: connection, apply }
    );
  }

  queryPatches(
    dataset: string,
    filter: IFilter,
    query: IPatchQuery,
    signal?: AbortSignal
  ): Promise<IPatchesPage> {
    return this._post(
      `datasets/${enc(dataset)}/patches`,
      { filter, ...query },
      signal
    );
  }

  queryRegionPatches(
    dataset: string,
    filter: IFilter,
    query: IPatchQuery,
    signal?: AbortSignal
  ): Promise<IRegionPatchesPage> {
    return this._post(
      `datasets/${enc(dataset)}/patches`,
      { filter, ...query, kind: 'regions' },
      signal
    );
  }

  async patchSamples(
    dataset: string,
    annIds: number[],
    signal?: AbortSignal,
    version?: number
  ): Promise<number[]> {
    const body = version === undefined ? {} : { version };
    const data = await this._post<{ sample_ids: number[] }>(
      `datasets/${enc(dataset)}/patches/samples`,
      { ann_ids: annIds, ...body },
      signal
    );
    return data.sample_ids;
  }

  cropUrl(
    dataset: string,
    annId: number,
    size = 128,
    context = 0.25,
    pair?: number,
    version?: number
  ): string {
    const url = this.url(`datasets/${enc(dataset)}/objects/${annId}/crop`);
    const both = pair === undefined ? '' : `&with=${pair}`;
    const at = version === undefined ? '' : `&version=${version}`;
    return `${url}?size=${size}&context=${context}${both}${at}`;
  }

  regionCropUrl(
    dataset: string,
    sampleId: number,
    region: number,
    model: string,
    size = 128,
    context = 0.25
  ): string {
    const url = this.url(
      `datasets/${enc(dataset)}/samples/${sampleId}/regions/${region}/crop`
    );
    return `${url}?model=${enc(model)}&size=${size}&context=${context}`;
  }
}
