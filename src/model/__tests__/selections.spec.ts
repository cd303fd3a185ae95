/**
 * Selections as the selection panel makes and reads them
 * (`model/sources/selections.ts`), through the REST client against a real
 * Jupyter server: the panel's form as a request, the job followed to its
 * stored record with its rows, the list, and a bad weight refused with the
 * server's reason.
 */
import { VisionLensClient } from '../../api/client';
import { VisionLensAPIError } from '../../api/restTransport';
import { ITestServer, startServer } from '../../__tests__/jupyterServer';
import { ingestPets } from '../../__tests__/petsDataset';
import {
  scoreBars,
  selectionRequest,
  settingLines
} from '../../features/selection/format';
import {
  listSelections,
  readSelection,
  runSelection
} from '../sources/selections';
import { IJob, ISelectionRequest, IVisionLensModel } from '../tokens';

describe('selections from the lab', () => {
  let server: ITestServer;
  let client: VisionLensClient;
  let model: IVisionLensModel;

  beforeAll(async () => {
    server = await startServer();
    client = new VisionLensClient(server.settings);
    await ingestPets(client, server.dir);
    model = { client } as unknown as IVisionLensModel;
  }, 120000);

  afterAll(async () => {
    await server?.stop();
  });

  function request(weight: string, balanceTarget = ''): ISelectionRequest {
    const body = selectionRequest({
      count: '1',
      strategies: [
        { word: 'random', weight },
        { word: 'balance', weight: '1' }
      ],
      filter: {},
      space: '',
      excludeTags: '',
      excludeLabelled: false,
      tag: 'next',
      seed: '3',
      referenceTag: '',
      balanceField: '',
      balanceTarget,
      models: ''
    });
    if (typeof body === 'string') {
      throw new Error(body);
    }
    return body;
  }

  it('runs the form as a job and reads back the stored record with its rows', async () => {
    const seen: IJob[] = [];
    let started: IJob | null = null;
    const record = await runSelection(model, 'pets', request('0.5'), {
      onStarted: job => (started = job),
      onUpdate: job => seen.push(job)
    });
    expect(started).not.toBeNull();
    expect(seen[seen.length - 1].status).toBe('done');
    expect(record.strategies).toEqual([
      { name: 'random', weight: 0.5 },
      { name: 'balance', weight: 1 }
    ]);
    expect([record.tag, record.seed, record.count, record.chosen]).toEqual([
      'next',
      3,
      1,
      1
    ]);
    const rows = record.rows ?? [];
    expect(rows.map(r => r.rank)).toEqual([0]);
    const bars = scoreBars(rows[0], ['random', 'balance']);
    expect(bars.map(b => b.word)).toEqual(['random', 'balance']);
    const sum = bars.reduce((s, b) => s + b.value, 0);
    expect(sum).toBeCloseTo(rows[0].score, 6);

    // the chosen carry the tag: the grid's filter by it finds them
    const page = await client.querySamples(
      'pets',
      { tags: { any: ['next'] } },
      { offset: 0, limit: 10 }
    );
    expect(page.samples.map(s => s.sample_id)).toEqual([rows[0].sample_id]);

    const listed = await listSelections(model, 'pets');
    expect(listed.map(s => s.id)).toEqual([record.id]);
    expect(await readSelection(model, 'pets', record.id)).toEqual(record);
  }, 60000);

  it("stores the form's balance target with the record", async () => {
    const record = await runSelection(
      model,
      'pets',
      request('1', 'cat:2, dog:1'),
      {
        onStarted: () => undefined,
        onUpdate: () => undefined
      }
    );
    expect(record.options).toMatchObject({
      balance_field: 'class',
      balance_target: { cat: 2, dog: 1 }
    });
    expect(new Map(settingLines(record)).get('Balance')).toBe(
      'class: cat:2, dog:1'
    );
  }, 60000);

  it("refuses a bad weight with the server's reason, nothing queued", async () => {
    const error = await runSelection(model, 'pets', request('-1'), {
      onStarted: () => undefined,
      onUpdate: () => undefined
    }).catch(e => e);
    expect(error).toBeInstanceOf(VisionLensAPIError);
    expect(error.status).toBe(400);
    expect(error.message).toContain('random:-1');
    expect(await listSelections(model, 'pets')).toHaveLength(2);
  }, 60000);
});
