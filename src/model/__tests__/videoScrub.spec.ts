/**
 * The videos view's tiles (`model/videoScrub.ts`): the scrub frame under the
 * pointer, the tiles' text and the throttle of frame requests; then the
 * video tiles of two MOT sequences ingested by a real Jupyter server, read a
 * page at a time through the lab's client (`model/sources/videoTiles.ts`),
 * checked against the ground truth the fixture wrote.
 */
import { execFileSync } from 'child_process';
import * as path from 'path';

import { VisionLensClient } from '../../api/client';
import { IVideoTile } from '../../api/videoTypes';
import { ITestServer, startServer } from '../../__tests__/jupyterServer';
import { SCRUB_FRAMES, VideoTilesPageSource } from '../sources/videoTiles';
import { IVisionLensModel } from '../tokens';
import {
  clockText,
  framesText,
  scrubFrameAt,
  scrubIndex,
  ScrubThrottle,
  tileFacts,
  tracksText
} from '../videoScrub';

function tile(frames: number[], numFrames: number): IVideoTile {
  return {
    video_id: 1,
    name: 'street.mp4',
    location: '/data/street.mp4',
    kind: 'file',
    fps: 25,
    num_frames: numFrames,
    duration: numFrames / 25,
    codec: 'h264',
    width: 64,
    height: 48,
    rotation: 0,
    variable_frame_rate: false,
    tracks: 3,
    matching_frames: frames.length,
    scrub_frames: frames.map(f => ({ frame_number: f, sample_id: 100 + f }))
  };
}

describe('scrubbing a video tile', () => {
  it('cuts the tile into one equal part per scrub frame, left to right', () => {
    // 4 frames on 200 px: 50 px each
    expect(scrubIndex(0, 200, 4)).toBe(0);
    expect(scrubIndex(49.9, 200, 4)).toBe(0);
    expect(scrubIndex(50, 200, 4)).toBe(1);
    expect(scrubIndex(199, 200, 4)).toBe(3);
    expect(scrubIndex(260, 200, 4)).toBe(3); // past the right edge
    expect(scrubIndex(-5, 200, 4)).toBe(0);
    expect(scrubIndex(120, 0, 4)).toBe(0); // not laid out yet
    expect(scrubIndex(120, 200, 1)).toBe(0);
    const video = tile([1, 9, 17, 25], 30);
    expect(scrubFrameAt(video, 10, 200)).toEqual({
      frame_number: 1,
      sample_id: 101
    });
    expect(scrubFrameAt(video, 130, 200)?.frame_number).toBe(17);
    expect(scrubFrameAt(tile([], 30), 130, 200)).toBeNull();
  });

  it('writes the duration, tracks and matching frames', () => {
    expect(clockText(0.4)).toBe('0.4 s');
    expect(clockText(7.64)).toBe('7.6 s');
    expect(clockText(9.97)).toBe('0:10');
    expect(clockText(12.4)).toBe('0:12');
    expect(clockText(750)).toBe('12:30');
    expect(clockText(3723)).toBe('1:02:03');
    expect(clockText(null)).toBeNull();
    expect(tracksText(1)).toBe('1 track');
    expect(tracksText(1200)).toBe('1,200 tracks');
    const all = tile([1, 2, 3], 3);
    expect(framesText(all)).toBe('3 frames');
    expect(framesText(tile([4, 5], 30))).toBe('2 of 30 frames');
    expect(tileFacts(tile([1], 250))).toBe('0:10 · 3 tracks');
    expect(tileFacts(tile([1], 40))).toBe('1.6 s · 3 tracks');
    expect(tileFacts({ ...all, duration: null, tracks: 0 })).toBe('0 tracks');
  });

  it('asks for at most one frame per interval, the latest one', () => {
    jest.useFakeTimers();
    let now = 1000;
    const shown: number[] = [];
    const throttle = new ScrubThrottle<number>(
      f => shown.push(f),
      80,
      () => now
    );
    throttle.request(1); // the first at once
    expect(shown).toEqual([1]);
    for (const f of [2, 3, 4, 5]) {
      now += 10;
      throttle.request(f); // crossed quickly: only the last is shown
    }
    expect(shown).toEqual([1]);
    // the first of them waited for the rest of the interval: 70 ms
    jest.advanceTimersByTime(60);
    expect(shown).toEqual([1]);
    now += 70;
    jest.advanceTimersByTime(10);
    expect(shown).toEqual([1, 5]);
    now += 200;
    throttle.request(6); // after a rest: at once again
    expect(shown).toEqual([1, 5, 6]);
    throttle.request(7);
    throttle.cancel(); // the pointer left: nothing more
    jest.advanceTimersByTime(500);
    expect(shown).toEqual([1, 5, 6]);
    jest.useRealTimers();
  });
});

describe('the video tiles of MOT sequences from a real server', () => {
  let server: ITestServer;
  let model: IVisionLensModel;
  /** The fixture's sequences: name, frames and gt rows ([frame, id, ...]). */
  let written: { name: string; frames: number; rows: number[][] }[];

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
          'seqs = write_mot(Path(sys.argv[1]), {"S1": 50, "S2": 7}, tracks=4, seed=3)\n' +
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

  it('pages the videos with their tracks, and scrubs through their frames', async () => {
    const source = new VideoTilesPageSource(model, {
      dataset: 'mot',
      filter: {}
    });
    const signal = new AbortController().signal;
    const first = await source.fetch(0, 1, signal);
    expect(first.total).toBe(2);
    const rest = await source.fetch(1, 1, signal);
    const tiles = [...first.rows, ...rest.rows] as IVideoTile[];
    expect(tiles.map(t => source.key(t))).toEqual([1, 2]);
    for (const [i, seq] of written.entries()) {
      const t = tiles[i];
      expect(t.name).toBe(seq.name);
      expect(t.tracks).toBe(new Set(seq.rows.map(r => r[1])).size);
      expect(t.matching_frames).toBe(seq.frames);
      expect(framesText(t)).toBe(`${seq.frames} frames`);
      expect(t.scrub_frames.length).toBe(Math.min(seq.frames, SCRUB_FRAMES));
      expect(t.scrub_frames[0].frame_number).toBe(1); // the poster
      // left to right across the tile, the frames only move forward
      const seen = [0, 40, 80, 120, 160, 199].map(
        x => scrubFrameAt(t, x, 200)!.frame_number
      );
      expect([...seen].sort((a, b) => a - b)).toEqual(seen);
      expect(seen[seen.length - 1]).toBeGreaterThan(seen[0]);
    }
  });

  it('shows the videos with matching frames of a filtered view, and their counts', async () => {
    const source = new VideoTilesPageSource(model, {
      dataset: 'mot',
      filter: { sample: { 'fields.frame_number': { min: 10 } } }
    });
    const page = await source.fetch(0, 10, new AbortController().signal);
    expect(page.total).toBe(1); // S2 has 7 frames
    const t = page.rows[0] as IVideoTile;
    expect(t.name).toBe('S1');
    expect(t.matching_frames).toBe(41);
    expect(framesText(t)).toBe('41 of 50 frames');
    expect(t.scrub_frames[0].frame_number).toBe(10);
  });
});
