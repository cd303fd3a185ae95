/**
 * The tracks view's rows (`model/sources/videoTiles.ts`,
 * `TrackTilesPageSource` over the generic `QueryPageSource`): the tracks of
 * two MOT sequences ingested by a real Jupyter server, read a page at a time
 * through the lab's client, checked against the gt rows the fixture wrote:
 * every track once, its length and frames, its strip spread over its kept
 * objects in time order, and a filter keeping only its class's tracks.
 */
import { execFileSync } from 'child_process';
import * as path from 'path';

import { VisionLensClient } from '../../api/client';
import { ITrackTile } from '../../api/videoTypes';
import { ITestServer, startServer } from '../../__tests__/jupyterServer';
import { TRACK_PATCHES, TrackTilesPageSource } from '../sources/videoTiles';
import { IFilter, IVisionLensModel } from '../tokens';

/** A sequence's gt rows: [frame, id, x, y, w, h, conf, class, visibility]. */
type Rows = number[][];

/** The frames of each (sequence, identity) of the rows `keep` keeps. */
function expectedTracks(
  written: { name: string; rows: Rows }[],
  keep: (row: number[]) => boolean = () => true
): Map<string, number[]> {
  const tracks = new Map<string, number[]>();
  for (const seq of written) {
    for (const row of seq.rows.filter(keep)) {
      const key = `${seq.name}/${row[1]}`;
      tracks.set(
        key,
        [...(tracks.get(key) ?? []), row[0]].sort((a, b) => a - b)
      );
    }
  }
  return tracks;
}

describe('the track tiles of MOT sequences from a real server', () => {
  let server: ITestServer;
  let model: IVisionLensModel;
  let written: { name: string; frames: number; rows: Rows }[];

  beforeAll(async () => {
    server = await startServer();
    const client = new VisionLensClient(server.settings);
    const repo = path.resolve(__dirname, '..', '..', '..');
    const out = execFileSync(
      process.env.VISIONLENS_PYTHON || 'python',
      [
        '-c',
        'import json, sys; from pathlib import Path\n' +
          'from tests.video_fixtures import write_mot\n' +
          'seqs = write_mot(Path(sys.argv[1]), {"S1": 40, "S2": 9}, tracks=5, seed=3)\n' +
          'print(json.dumps([dict(name=s.name, frames=s.frames, rows=s.rows) for s in seqs]))',
        path.join(server.dir, 'mot')
      ],
      { cwd: repo, env: { ...process.env, PYTHONPATH: repo } }
    );
    written = JSON.parse(out.toString());
    const job = await client.ingest({
      source: path.join(server.dir, 'mot'),
      name: 'mot'
    });
    const done = await client.waitForJob(job.id, { intervalMs: 50 });
    expect(done.status).toBe('done');
    model = { client, dataset: 'mot' } as unknown as IVisionLensModel;
  }, 300000);

  afterAll(async () => {
    await server?.stop();
  });

  /** Every tile of `filter`, read 3 at a time, checked against `expected`. */
  async function readAll(
    filter: IFilter,
    expected: Map<string, number[]>
  ): Promise<ITrackTile[]> {
    const source = new TrackTilesPageSource(model, { dataset: 'mot', filter });
    const signal = new AbortController().signal;
    const tiles: ITrackTile[] = [];
    for (let offset = 0; offset < expected.size + 3; offset += 3) {
      const page = await source.fetch(offset, 3, signal);
      expect(page.total).toBe(expected.size);
      tiles.push(...(page.rows as ITrackTile[]));
    }
    const keys = tiles.map(t => source.key(t));
    expect(new Set(keys).size).toBe(expected.size); // each track once
    expect(tiles.map(t => t.video)).toEqual(
      [...tiles.map(t => t.video)].sort()
    ); // video by video
    const all = expectedTracks(written);
    for (const t of tiles) {
      const frames = expected.get(`${t.video}/${t.source_id}`) as number[];
      const whole = all.get(`${t.video}/${t.source_id}`) as number[];
      expect(t.length).toBe(whole.length);
      expect([t.first_frame, t.last_frame]).toEqual([
        whole[0],
        whole[whole.length - 1]
      ]);
      expect(t.matching).toBe(frames.length);
      const strip = t.patches.map(p => p.frame_number);
      expect(strip.length).toBe(Math.min(frames.length, TRACK_PATCHES));
      expect(strip[0]).toBe(frames[0]);
      expect([...strip].sort((a, b) => a - b)).toEqual(strip);
      expect(strip.every(f => frames.includes(f))).toBe(true);
    }
    return tiles;
  }

  it('pages every track once with its frames and its strip', async () => {
    const expected = expectedTracks(written);
    expect(expected.size).toBe(10);
    const tiles = await readAll({}, expected);
    expect(new Set(tiles.map(t => `${t.video}/${t.source_id}`))).toEqual(
      new Set(expected.keys())
    );
  });

  it("keeps a class's tracks under a label filter", async () => {
    const cars = expectedTracks(written, row => row[7] === 3); // MOT17's car
    expect(cars.size).toBeGreaterThan(0);
    const tiles = await readAll(
      { labels: [{ source: 'ground_truth', classes: ['car'] }] },
      cars
    );
    expect(new Set(tiles.map(t => t.label))).toEqual(new Set(['car']));
  });
});
