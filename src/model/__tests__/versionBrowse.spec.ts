/**
 * Browsing a saved version read-only (`model/versionBrowse.ts`) with the
 * shared model over the REST client against a real Jupyter server: while
 * version 1 is browsed, the samples page, counts, facets and one sample read
 * its labels (a cat relabelled since is a cat again, in the patches view
 * too), every panel is told,
 * edits are refused without a request, and "back to current" reads the
 * current labels; a new dataset ends the browsing.
 */

import { VisionLensClient } from '../../api/client';
import { ITestServer, startServer } from '../../__tests__/jupyterServer';
import { ingestPets } from '../../__tests__/petsDataset';
import { VisionLensModel } from '../model';
import { PatchesModel } from '../patches';
import { editLabels } from '../sources/edits';
import { facets, getSample, samplesPage } from '../sources/samples';
import { saveVersion } from '../sources/versions';
import { IDataChange, ILabelVersion } from '../tokens';
import { versionBrowse } from '../versionBrowse';

describe('browsing a saved version', () => {
  let server: ITestServer;
  let client: VisionLensClient;
  let model: VisionLensModel;
  let v1: ILabelVersion;
  let catId = 0;
  const changes: IDataChange[] = [];
  const cats = { labels: [{ source: 'ground_truth', classes: ['cat'] }] };

  beforeAll(async () => {
    server = await startServer();
    client = new VisionLensClient(server.settings);
    await ingestPets(client, server.dir);
    model = new VisionLensModel({ client });
    model.setDataset('pets');
    model.dataChanged.connect((_, change) => changes.push(change));
    v1 = await saveVersion(model, 'pets', 'as ingested');
    const sample = await client.getSample('pets', 1);
    const cat = sample.annotations.find(a => a.label === 'cat')!;
    catId = cat.ann_id;
    const edit = await editLabels(
      model,
      'pets',
      [{ op: 'relabel', annotation_id: cat.ann_id, label: 'dog' }],
      [1]
    );
    expect(edit.kind).toBe('done');
  }, 120000);

  afterAll(async () => {
    await server?.stop();
  });

  const catCount = async () =>
    (await samplesPage(model, 'pets', cats, { offset: 0, limit: 0 })).total;
  const truthLabels = async () =>
    (await getSample(model, 'pets', 1)).annotations
      .filter(a => a.source === 'ground_truth')
      .map(a => a.label);
  const facetClasses = async () => {
    const answer = await facets(model, 'pets', {});
    const label = answer.facets.find(
      f => f.name === 'label' && f.source === 'ground_truth'
    ) as { values: { value: string }[] };
    return label.values.map(v => v.value).sort();
  };

  it('reads the current labels until a version is browsed', async () => {
    const browse = versionBrowse(model);
    expect(browse.isBrowsing).toBe(false);
    expect(browse.params('pets')).toEqual({});
    expect(await catCount()).toBe(0);
    expect(await truthLabels()).toEqual(['dog']);
  });

  it('reads the version while it is browsed, and tells every panel', async () => {
    const browse = versionBrowse(model);
    changes.length = 0;
    browse.browse('pets', v1);
    expect(browse.isBrowsing).toBe(true);
    expect(browse.browsed?.version.version).toBe(v1.version);
    expect(changes).toEqual([{ dataset: 'pets', kind: 'labels', ids: null }]);
    expect(await catCount()).toBe(1);
    expect(await truthLabels()).toEqual(['cat']);
    expect(await facetClasses()).toEqual(['cat', 'dog']);
  });

  it("pages the browsed version's objects in the patches view", async () => {
    const patches = new PatchesModel(model, 1000);
    const label = async () => {
      await patches.start();
      expect(patches.error).toBeNull();
      return patches.pages.loadedRows().find(p => p.ann_id === catId)?.label;
    };
    expect(await label()).toBe('cat');
    versionBrowse(model).browse('pets', null);
    expect(await label()).toBe('dog');
    versionBrowse(model).browse('pets', v1);
    expect(await label()).toBe('cat');
    patches.dispose();
  });

  it('refuses edits while browsing, without asking the server', async () => {
    const objects = async () => (await client.getSample('pets', 1)).annotations;
    const before = await objects();
    const outcome = await editLabels(
      model,
      'pets',
      [{ op: 'delete', annotation_id: before[0].ann_id }],
      [1]
    );
    expect(outcome).toEqual({
      kind: 'refused',
      message: `Version ${v1.version} is read-only: go back to the current labels to edit.`
    });
    expect(await objects()).toEqual(before);
  });

  it('goes back to the current labels, and ends with another dataset', async () => {
    const browse = versionBrowse(model);
    browse.browse('pets', null);
    expect(browse.isBrowsing).toBe(false);
    expect(await catCount()).toBe(0);
    browse.browse('pets', v1);
    model.setDataset(null);
    expect(browse.browsed).toBeNull();
    model.setDataset('pets');
    expect(browse.isBrowsing).toBe(false);
  });
});
