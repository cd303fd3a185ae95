/**
 * The video view's state and geometry (`model/videoFrames.ts`): frames under
 * the pointer, steps, runs of a track's frames and its lane's marks, and the
 * frames fetched ahead while playing; then the timeline of a MOT sequence
 * ingested by a real Jupyter server, read through the lab's client
 * (`model/sources/videos.ts`) and laid out as lanes, checked against the
 * ground truth the fixture wrote.
 */
import { execFileSync } from 'child_process';
import * as path from 'path';

import { VisionLensClient } from '../../api/client';
import { ITestServer, startServer } from '../../__tests__/jupyterServer';
import { trackColor } from '../../base/colors';
import { frameOf, videoTimeline } from '../sources/videos';
import { laneMarks } from '../timelineMarks';
import { IVideoTimeline, IVisionLensModel } from '../tokens';
import {
  FramePrefetch,
  FrameWindow,
  CATCH_UP_FRAMES,
  CATCH_UP_GAP,
  PlaybackClock,
  frameAt,
  frameCount,
  frameInterval,
  frameSample,
  frameX,
  samplesOfFrames,
  steppedFrame,
  trackLanes
} from '../videoFrames';

/** The runs of consecutive frames in ascending `frames`, by their definition. */
function runsOf(frames: readonly number[]): [number, number][] {
  const runs: [number, number][] = [];
  frames.forEach((f, i) => {
    if (i > 0 && f === frames[i - 1] + 1) {
      runs[runs.length - 1][1] = f;
    } else {
      runs.push([f, f]);
    }
  });
  return runs;
}

function timeline(
  frames: (number | null)[],
  tracks: [number, number[]][]
): IVideoTimeline {
  return {
    video: {
      video_id: 1,
      name: 'v.mp4',
      kind: 'file',
      fps: 25,
      num_frames: frames.length,
      duration: frames.length / 25,
      width: 64,
      height: 48,
      rotation: 0,
      variable_frame_rate: false,
      codec: 'h264',
      content_type: 'video/mp4'
    },
    frame_number: 1,
    frames,
    tracks: tracks.map(([id, f]) => ({
      source: 'ground_truth',
      track_id: id,
      label: 'car',
      first_frame: f[0],
      last_frame: f[f.length - 1],
      runs: runsOf(f),
      changes: [],
      changes_total: 0,
      keyframes: [],
      switches: []
    })),
    tracking_models: [],
    model: null
  };
}

describe('video timeline geometry', () => {
  it('finds the frame under the pointer and the left edge of each frame', () => {
    // 10 frames on 200 px: 20 px per frame
    expect(frameAt(0, 200, 10)).toBe(1);
    expect(frameAt(19.9, 200, 10)).toBe(1);
    expect(frameAt(20, 200, 10)).toBe(2);
    expect(frameAt(199, 200, 10)).toBe(10);
    expect(frameAt(500, 200, 10)).toBe(10); // dragged past the end
    expect(frameAt(-30, 200, 10)).toBe(1);
    for (let f = 1; f <= 10; f++) {
      expect(frameAt(frameX(f, 200, 10) + 1, 200, 10)).toBe(f);
    }
  });

  it('steps within the video', () => {
    expect(steppedFrame(5, 1, 9)).toBe(6);
    expect(steppedFrame(5, 10, 9)).toBe(9);
    expect(steppedFrame(5, -10, 9)).toBe(1);
    expect(steppedFrame(1, -1, 9)).toBe(1);
  });

  it('skips frames without a sample in the direction of the seek', () => {
    const tl = timeline([11, null, null, 14, 15], []);
    expect(frameSample(tl, 2, 1)).toEqual({ frame: 4, sampleId: 14 });
    expect(frameSample(tl, 3, -1)).toEqual({ frame: 1, sampleId: 11 });
    expect(frameSample(timeline([null, null], []), 1)).toBeNull();
    expect(frameCount(tl)).toBe(5);
  });

  it('draws one lane per track, a mark per run of frames, in its colour', () => {
    const tl = timeline(
      Array.from({ length: 10 }, (_, i) => i + 1),
      [
        [7, [1, 2, 3, 7]],
        [8, [10]]
      ]
    );
    const lanes = trackLanes(tl, 100);
    expect(lanes.map(l => l.track.track_id)).toEqual([7, 8]);
    expect(lanes[0].marks).toEqual([
      [0, 30],
      [60, 10]
    ]);
    expect(lanes[1].marks).toEqual([[90, 10]]);
    expect(lanes[0].color).toBe(trackColor(7));
    expect(lanes[0].color).not.toBe(lanes[1].color);
    // a single frame of a long video is still a pixel wide
    const long = timeline(
      Array.from({ length: 100000 }, (_, i) => i + 1),
      [[1, [5]]]
    );
    expect(trackLanes(long, 300)[0].marks[0][1]).toBe(1);
    expect(trackLanes(tl, 100, new Set(['model']))).toEqual([]);
  });

  it('keeps every frame, step and left edge a whole frame of the video, whatever the sizes', () => {
    // a video without frames yet (no timeline): frame 1, never 0
    expect(steppedFrame(1, 1, 0)).toBe(1);
    expect(steppedFrame(3, -1, 0)).toBe(1);
    // a step of a fraction of a frame lands on the nearest whole frame
    expect(steppedFrame(2, 0.4, 9)).toBe(2);
    expect(steppedFrame(2, 1.6, 9)).toBe(4);
    // a timeline not laid out (0 px wide) or without frames: frame 1, not NaN
    expect(frameAt(10, 0, 10)).toBe(1);
    expect(frameAt(10, 200, 0)).toBe(1);
    expect(frameX(3, 200, 0)).toBe(0);
    // the frames' list longer than the video says: the list counts
    const tl = timeline([11, 12, 13], []);
    tl.video.num_frames = 2;
    expect(frameCount(tl)).toBe(3);
  });

  it('finds a sample on the last frame, seeking either way', () => {
    const tl = timeline([null, null, 13], []);
    expect(frameSample(tl, 3)).toEqual({ frame: 3, sampleId: 13 });
    expect(frameSample(tl, 1, 1)).toEqual({ frame: 3, sampleId: 13 });
    expect(frameSample(tl, 3, -1)).toEqual({ frame: 3, sampleId: 13 });
    expect(frameSample(tl, 4, -1)).toBeNull(); // past the end: no frame there
  });

  it('draws the lanes of the sources asked', () => {
    const tl = timeline([1, 2], [[3, [1, 2]]]);
    expect(
      trackLanes(tl, 100, new Set(['ground_truth'])).map(l => l.track.track_id)
    ).toEqual([3]);
  });

  it('plays at the video frame rate, or 10 fps when unknown', () => {
    expect(frameInterval(25)).toBe(40);
    expect(frameInterval(null)).toBe(100);
    expect(frameInterval(0)).toBe(100);
    expect(frameInterval(-25)).toBe(100);
    expect(frameInterval(Infinity)).toBe(100);
  });
});

describe('the playback schedule', () => {
  /** The times frames are shown when each timer fires `late(k)` ms after it was due. */
  function play(
    clock: PlaybackClock,
    frames: number,
    late: (k: number) => number
  ) {
    const shown: number[] = [];
    let now = 0;
    for (let k = 0; k < frames; k++) {
      now += late(k);
      shown.push(now);
      now += clock.shown(now);
    }
    return shown;
  }

  it('makes up a late timer on the next frame instead of adding it up', () => {
    // every timer fires 9 ms late: a delay measured from each frame would play at 1000/49 fps
    const shown = play(new PlaybackClock(40, 0), 26, () => 9);
    expect(shown[25] - shown[0]).toBe(25 * 40);
    expect(shown.slice(1).map((t, k) => t - k * 40 - 40)).toEqual(
      Array(25).fill(9)
    );
  });

  it('catches up a frame loaded late, never faster than the paint allows', () => {
    const clock = new PlaybackClock(40, 0);
    expect(clock.shown(0)).toBe(40);
    // up to half an interval late: made up on the next frame's wait
    expect(clock.shown(55)).toBe(25);
    // 60 ms late (due at 80): each next frame comes after CATCH_UP_GAP of an
    // interval, not at once, until the schedule is met again
    expect(clock.shown(140)).toBe(CATCH_UP_GAP * 40);
    expect(clock.shown(164)).toBe(CATCH_UP_GAP * 40);
    expect(clock.shown(188)).toBe(CATCH_UP_GAP * 40);
    expect(clock.shown(212)).toBe(28);
    expect(clock.shown(240)).toBe(40);
  });

  it('moves the schedule to a frame after a stall, without hurrying the next ones', () => {
    const clock = new PlaybackClock(40, 0);
    expect(clock.shown(0)).toBe(40);
    // more than CATCH_UP_FRAMES intervals late: the schedule goes on from it
    const late = 40 + CATCH_UP_FRAMES * 40 + 1;
    expect(clock.shown(late)).toBe(40);
    expect(clock.shown(late + 40)).toBe(40);
  });

  it('waits at least a display refresh while catching up a fast video', () => {
    const clock = new PlaybackClock(1000 / 60, 0); // a 60 fps video
    expect(clock.shown(0)).toBeCloseTo(1000 / 60);
    expect(clock.shown(1000 / 60 + 30)).toBeCloseTo(1000 / 60);
  });
});

describe('frames fetched ahead', () => {
  it('asks each frame once, the next ones ahead, and drops those behind', async () => {
    const asked: number[] = [];
    const prefetch = new FramePrefetch(async (f: number) => {
      asked.push(f);
      return f * 10;
    }, 3);
    expect(await prefetch.take(1, 100)).toBe(10);
    expect(asked).toEqual([1, 2, 3, 4]);
    expect(await prefetch.take(2, 100)).toBe(20);
    expect(asked).toEqual([1, 2, 3, 4, 5]); // 2..4 were loaded already
    expect(prefetch.pending).toEqual([2, 3, 4, 5]);
    expect(await prefetch.take(99, 100)).toBe(990);
    expect(prefetch.pending).toEqual([99, 100]); // never past the last frame
  });

  it('drops the frames ahead of a seek back, and every load on clear', async () => {
    const asked: number[] = [];
    const prefetch = new FramePrefetch(async (f: number) => {
      asked.push(f);
      return f;
    }, 2);
    await prefetch.take(50, 100);
    await prefetch.take(10, 100); // a seek back: 50..52 are no longer ahead
    expect(prefetch.pending).toEqual([10, 11, 12]);
    prefetch.clear(); // the labels changed: loaded frames are loaded again
    expect(prefetch.pending).toEqual([]);
    asked.length = 0;
    expect(await prefetch.take(11, 100)).toBe(11);
    expect(asked).toEqual([11, 12, 13]);
  });

  it('asks a failed frame again', async () => {
    let fail = true;
    const prefetch = new FramePrefetch(async (f: number) => {
      if (fail) {
        throw new Error('offline');
      }
      return f;
    }, 0);
    await expect(prefetch.take(3, 10)).rejects.toThrow('offline');
    await Promise.resolve();
    fail = false;
    expect(await prefetch.take(3, 10)).toBe(3);
  });
});

describe('frames labelled a window at a time', () => {
  /** A window over frames 1..`count` whose requests are recorded in `asked`. */
  function labelled(asked: number[][], size = 4) {
    return new FrameWindow(async (frames: readonly number[]) => {
      asked.push([...frames]);
      return new Map(frames.map(f => [f, `labels of ${f}`]));
    }, size);
  }

  it('asks a window in one request and hands each frame its own labels once', async () => {
    const asked: number[][] = [];
    const window = labelled(asked);
    expect(await window.get(1, 10)).toBe('labels of 1');
    expect(asked).toEqual([[1, 2, 3, 4]]);
    expect(window.held).toEqual([2, 3, 4]); // held until their own frame
    expect(await window.get(2, 10)).toBe('labels of 2');
    expect(await window.get(3, 10)).toBe('labels of 3');
    expect(asked).toHaveLength(1);
    expect(await window.get(5, 10)).toBe('labels of 5'); // 4 skipped: dropped
    expect(asked).toEqual([
      [1, 2, 3, 4],
      [5, 6, 7, 8]
    ]);
    expect(window.held).toEqual([6, 7, 8]);
    expect(await window.get(9, 10)).toBe('labels of 9');
    expect(asked[2]).toEqual([9, 10]); // never past the last frame
  });

  it('asks only the frames it does not hold, and again a frame handed out', async () => {
    const asked: number[][] = [];
    const window = labelled(asked);
    await window.get(3, 10);
    await window.get(2, 10); // a step back: 4 and 5 are still held, 6 dropped
    expect(asked).toEqual([
      [3, 4, 5, 6],
      [2, 3]
    ]);
    expect(window.held).toEqual([3, 4, 5]);
    await window.get(4, 10);
    await window.get(4, 10); // handed out once: asked again (its load failed)
    expect(asked[2]).toEqual([4, 6, 7]); // 5 is held
  });

  it('asks a frame past the count alone', async () => {
    const asked: number[][] = [];
    const window = labelled(asked);
    expect(await window.get(12, 10)).toBe('labels of 12');
    expect(asked).toEqual([[12]]);
  });

  it('drops what it holds on a seek elsewhere and when the labels change', async () => {
    const asked: number[][] = [];
    const window = labelled(asked);
    await window.get(1, 100);
    await window.get(50, 100); // a seek: frames 2..4 are dropped, not kept
    expect(window.held).toEqual([51, 52, 53]);
    window.clear(); // labels changed
    expect(window.held).toEqual([]);
    await window.get(51, 100);
    expect(asked[asked.length - 1]).toEqual([51, 52, 53, 54]);
  });

  it('fails only the frames a request did not answer, or all when it fails', async () => {
    let fail = false;
    const window = new FrameWindow(async (frames: readonly number[]) => {
      if (fail) {
        throw new Error('offline');
      }
      return new Map(frames.filter(f => f !== 2).map(f => [f, f]));
    }, 3);
    expect(await window.get(1, 10)).toBe(1);
    await expect(window.get(2, 10)).rejects.toThrow('frame 2 has no labels');
    expect(await window.get(3, 10)).toBe(3);
    fail = true;
    await expect(window.get(4, 10)).rejects.toThrow('offline');
    fail = false;
    expect(await window.get(4, 10)).toBe(4); // asked again
  });

  it('feeds the frames fetched ahead: one request per window', async () => {
    const asked: number[][] = [];
    const window = labelled(asked, 8);
    const prefetch = new FramePrefetch(f => window.get(f, 30), 4);
    for (let f = 1; f <= 20; f++) {
      expect(await prefetch.take(f, 30)).toBe(`labels of ${f}`);
    }
    // frames 1..24 asked (20 shown, 4 ahead): 3 requests, not 24
    expect(asked).toEqual([
      [1, 2, 3, 4, 5, 6, 7, 8],
      [9, 10, 11, 12, 13, 14, 15, 16],
      [17, 18, 19, 20, 21, 22, 23, 24]
    ]);
  });

  it("matches each frame's sample by id, skipping frames without one", async () => {
    const tl = timeline([11, null, 13, 14], []);
    const read = jest.fn(async (ids: number[]) =>
      // answered out of order, 14 missing
      ids
        .filter(i => i !== 14)
        .reverse()
        .map(sample_id => ({ sample_id }))
    );
    const got = await samplesOfFrames(tl, [1, 2, 3, 4], read);
    expect(read).toHaveBeenCalledWith([11, 13, 14]);
    expect([...got.entries()]).toEqual([
      [1, { sample_id: 11 }],
      [3, { sample_id: 13 }]
    ]);
    expect((await samplesOfFrames(tl, [2], read)).size).toBe(0);
    expect(read).toHaveBeenCalledTimes(1); // no sample: no request
  });
});

describe('a MOT sequence from a real server', () => {
  let server: ITestServer;
  let client: VisionLensClient;
  let model: IVisionLensModel;
  /** gt.txt's rows the fixture wrote: [frame, id, ...]. */
  let rows: number[][];

  beforeAll(async () => {
    server = await startServer();
    client = new VisionLensClient(server.settings);
    const python = process.env.VISIONLENS_PYTHON || 'python';
    const out = execFileSync(
      python,
      [
        '-c',
        'import json, sys; from pathlib import Path\n' +
          'from tests.video_fixtures import write_mot\n' +
          '(s,) = write_mot(Path(sys.argv[1]), {"S1": 12}, tracks=4, seed=5)\n' +
          'print(json.dumps(s.rows))',
        path.join(server.dir, 'mot')
      ],
      {
        cwd: path.resolve(__dirname, '..', '..', '..'),
        env: {
          ...process.env,
          PYTHONPATH: path.resolve(__dirname, '..', '..', '..')
        }
      }
    );
    rows = JSON.parse(out.toString());
    const job = await client.ingest({
      source: path.join(server.dir, 'mot'),
      name: 'mot'
    });
    const done = await client.waitForJob(job.id, { intervalMs: 50 });
    expect(done.status).toBe('done');
    model = { client, dataset: 'mot' } as unknown as IVisionLensModel;
  }, 120000);

  afterAll(async () => {
    await server?.stop();
  });

  it('reads the video of a frame and lays out one lane per ground-truth track', async () => {
    const page = await client.querySamples('mot', {}, { offset: 0, limit: 20 });
    const third = page.samples.find(s => frameOf(s)?.frame === 3);
    expect(third).toBeDefined();
    expect(frameOf(third!)).toEqual({ video: 'S1', frame: 3 });
    const tl = await videoTimeline(model, 'mot', third!.sample_id);
    expect(tl.frame_number).toBe(3);
    expect(frameCount(tl)).toBe(12);
    expect(frameSample(tl, 3)?.sampleId).toBe(third!.sample_id);
    const byId = new Map<number, number[]>();
    for (const [frame, id] of rows) {
      byId.set(id, [...(byId.get(id) ?? []), frame]);
    }
    const lanes = trackLanes(tl, 120); // 10 px per frame
    expect(lanes.length).toBe(byId.size);
    const expected = [...byId.values()]
      .map(frames =>
        runsOf(frames).map(([a, b]) => [(a - 1) * 10, (b - a + 1) * 10])
      )
      .sort((a, b) => a[0][0] - b[0][0]);
    const drawn = lanes
      .map(l => l.marks.map(([x, w]) => [Math.round(x), Math.round(w)]))
      .sort((a, b) => a[0][0] - b[0][0]);
    expect(drawn).toEqual(expected);
    // a mark where the consider flag flips or visibility crosses a quarter,
    // at the middle of its frame's 10 px cell (MOT has no keyframes)
    const marksOf = new Map<string, number[]>(); // by the track's frames
    for (const id of byId.keys()) {
      const own = rows.filter(r => r[1] === id).sort((a, b) => a[0] - b[0]);
      const flips = own
        .slice(1)
        .filter(
          (r, i) =>
            (r[6] !== 0) !== (own[i][6] !== 0) ||
            Math.floor(4 * r[8]) !== Math.floor(4 * own[i][8])
        );
      marksOf.set(
        JSON.stringify(runsOf(own.map(r => r[0]))),
        flips.map(r => (r[0] - 1) * 10 + 5)
      );
    }
    expect([...marksOf.values()].flat().length).toBeGreaterThan(0);
    for (const lane of lanes) {
      const marks = laneMarks(lane.track, 120, frameCount(tl));
      expect(marks.every(m => m.kind === 'change')).toBe(true);
      expect(marks.map(m => m.x)).toEqual(
        marksOf.get(JSON.stringify(lane.track.runs))
      );
    }
    expect(tl.tracking_models).toEqual([]);
    // the frame's objects carry the track ids the lanes are coloured by
    const sample = await client.getSample('mot', third!.sample_id);
    // a window of frames in one request: each as its own read answers it
    const ids = tl.frames.slice(0, 5).filter((i): i is number => i !== null);
    const singles = await Promise.all(ids.map(i => client.getSample('mot', i)));
    expect(await client.sampleDetails('mot', ids)).toEqual(singles);
    const onFrame = lanes
      .filter(l => l.track.runs.some(([a, b]) => a <= 3 && 3 <= b))
      .map(l => l.track.track_id);
    expect(sample.annotations.map(a => a.track_id).sort()).toEqual(
      onFrame.sort()
    );
  });

  it('refuses the timeline of a sample that is not a frame', async () => {
    await expect(videoTimeline(model, 'mot', 999999)).rejects.toThrow(
      /not a frame of a video/
    );
  });
});
