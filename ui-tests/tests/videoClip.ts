/**
 * The clip the video view's UI tests share: a CVAT for video task (an H.264
 * file whose frames have their number drawn into their pixels, made with the
 * Python tests' encoder, and two box tracks) ingested through the REST API, a
 * tracker's MOT results imported and evaluated beside it, and the helpers
 * that open a frame and read back which frame the page shows.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

import { galata, IJupyterLabPageFixture } from '@jupyterlab/galata';
import { APIRequestContext, Locator, Page } from '@playwright/test';

import { expect } from './fixtures';
import { api, command, openGrid, runEnv } from './helpers';

/** The settings of the video specs: the sample view opens in a tab. */
export const VIDEO_SETTINGS = {
  autoGoto: true,
  mockSettings: {
    ...galata.DEFAULT_SETTINGS,
    'visionlens_jlab:sample': { openIn: 'tab' }
  }
};

export const NAME = 'ui-video';
export const MARKED = 'ui-video-marks';
export const TRACKERS = 'ui-video-trackers';
export const COLOURED = 'ui-video-colours';
export const FRAMES = 40;
export const TASK = path.join(
  runEnv('VISIONLENS_DATA_DIR'),
  'ui-sources',
  'video-task'
);
const REPO = path.resolve(__dirname, '..', '..');

/** CVAT's frames from 0: car on frames 1-20, person on 11-40 (ours, from 1). */
const TRACKS = `
  <track id="0" label="car" source="manual">
    <box frame="0" outside="0" occluded="0" keyframe="1" xtl="10" ytl="30" xbr="50" ybr="70" z_order="0"/>
    <box frame="19" outside="0" occluded="1" keyframe="1" xtl="120" ytl="40" xbr="160" ybr="80" z_order="0"/>
    <box frame="20" outside="1" occluded="0" keyframe="1" xtl="120" ytl="40" xbr="160" ybr="80" z_order="0"/>
  </track>
  <track id="1" label="person" source="manual">
    <box frame="10" outside="0" occluded="0" keyframe="1" xtl="80" ytl="40" xbr="100" ybr="100" z_order="0"/>
  </track>`;


/** The task's files (once per data folder) and the dataset (once). */
export async function ingestVideo(
  request: APIRequestContext,
  name = NAME
): Promise<void> {
  const { datasets } = await api(request, 'datasets');
  if (datasets.some((d: { name: string }) => d.name === name)) {
    return;
  }
  if (fs.existsSync(path.join(TASK, 'annotations.xml'))) {
    await ingestTask(request, name);
    return;
  }
  fs.mkdirSync(TASK, { recursive: true });
  execFileSync(process.env.VISIONLENS_PYTHON || 'python', [
    '-c',
    'import sys; from pathlib import Path; sys.path.insert(0, sys.argv[1])\n' +
      'from tests.video_fixtures import write_video\n' +
      'write_video(Path(sys.argv[2]) / "clip.mp4", int(sys.argv[3]), gop=10)',
    REPO,
    TASK,
    String(FRAMES)
  ]);
  fs.writeFileSync(
    path.join(TASK, 'annotations.xml'),
    `<?xml version="1.0" encoding="utf-8"?>
<annotations>
  <version>1.1</version>
  <meta><task>
    <id>1</id><name>clip</name><size>${FRAMES}</size><mode>interpolation</mode>
    <start_frame>0</start_frame><stop_frame>${FRAMES - 1}</stop_frame>
    <labels>
      <label><name>car</name><type>any</type><attributes/></label>
      <label><name>person</name><type>any</type><attributes/></label>
    </labels>
    <original_size><width>192</width><height>112</height></original_size>
    <source>clip.mp4</source>
  </task></meta>${TRACKS}</annotations>
`
  );
  await ingestTask(request, name);
}

async function ingestTask(
  request: APIRequestContext,
  name: string
): Promise<void> {
  const { job } = await api(request, 'datasets', { source: TASK, name });
  await doneJob(request, job.id);
}

export async function doneJob(request: APIRequestContext, id: string): Promise<void> {
  await expect
    .poll(async () => (await api(request, `jobs/${id}`)).status, {
      timeout: 60000
    })
    .toBe('done');
}

/**
 * The clip with a tracker's results (`trk`), evaluated: the car followed as
 * id 1 on frames 1-10 and id 2 from frame 11 (one identity switch, on frame
 * 11), the person as id 3; CVAT's linear interpolation written out.
 */
export async function ingestTracked(
  request: APIRequestContext,
  name = MARKED
): Promise<void> {
  const { datasets } = await api(request, 'datasets');
  if (datasets.some((d: { name: string }) => d.name === name)) {
    return;
  }
  await ingestVideo(request, name);
  const rows: string[] = [];
  for (let f = 1; f <= 20; f++) {
    const x = 10 + ((f - 1) * 110) / 19;
    const y = 30 + ((f - 1) * 10) / 19;
    rows.push(`${f},${f <= 10 ? 1 : 2},${x},${y},40,40,0.9,-1,-1,-1`);
  }
  for (let f = 11; f <= FRAMES; f++) {
    rows.push(`${f},3,80,40,20,60,0.9,-1,-1,-1`);
  }
  expect(await importTracker(request, name, 'trk', rows)).toBe(1);
}

/** Import MOT result `rows` of the clip as `model` and evaluate them: the switches. */
export async function importTracker(
  request: APIRequestContext,
  name: string,
  model: string,
  rows: string[]
): Promise<number> {
  const results = path.join(path.dirname(TASK), `video-${model}`);
  fs.mkdirSync(results, { recursive: true });
  fs.writeFileSync(path.join(results, 'clip.mp4.txt'), rows.join('\n') + '\n');
  const { job } = await api(request, `datasets/${name}/predictions`, {
    source: results,
    model,
    format: 'mot'
  });
  await doneJob(request, job.id);
  const report = await api(request, `datasets/${name}/tracking`, { model });
  return report.tracking.num_switches;
}

/** The sample id of frame `frame` of the clip. */
export async function frameSampleId(
  request: APIRequestContext,
  frame: number,
  name = NAME
): Promise<number> {
  const { samples } = await api(request, `datasets/${name}/samples/query`, {
    filter: { sample: { 'fields.frame_number': { min: frame, max: frame } } },
    offset: 0,
    limit: 1
  });
  return samples[0].sample_id;
}

/**
 * Define `window.__vlDrawnNumber(picture)` in the page (once): the frame
 * number drawn into an image's or a canvas's pixels, -1 before an image
 * loaded (tests/video_fixtures.py: 12 blocks across the top 24 rows, most
 * significant bit first).
 */
export async function installNumberReader(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as {
      __vlDrawnNumber?: (p: HTMLImageElement | HTMLCanvasElement) => number;
    };
    w.__vlDrawnNumber ??= picture => {
      const [width, height] =
        picture instanceof HTMLCanvasElement
          ? [picture.width, picture.height]
          : picture.complete
            ? [picture.naturalWidth, picture.naturalHeight]
            : [0, 0];
      if (width === 0) {
        return -1;
      }
      const canvas = document.createElement('canvas');
      canvas.width = width;
      canvas.height = height;
      const ctx = canvas.getContext('2d') as CanvasRenderingContext2D;
      ctx.drawImage(picture, 0, 0);
      const block = canvas.width / 12;
      const band = (24 * canvas.width) / 192;
      let n = 0;
      for (let bit = 0; bit < 12; bit++) {
        const left = Math.floor(bit * block + block / 4);
        const d = ctx.getImageData(
          left,
          Math.floor(band / 4),
          Math.max(1, Math.floor(block / 2)),
          Math.max(1, Math.floor(band / 2))
        ).data;
        let sum = 0;
        for (let i = 0; i < d.length; i += 4) {
          sum += (d[i] + d[i + 1] + d[i + 2]) / 3;
        }
        n = n * 2 + (sum / (d.length / 4) > 128 ? 1 : 0);
      }
      return n;
    };
  });
}

/** The frame number drawn into the picture the stage shows (an image or a canvas). */
export async function shownNumber(view: Locator): Promise<number> {
  await installNumberReader(view.page());
  return view
    .locator('.jp-VisionLens-fullImage')
    .evaluate(node =>
      (
        window as unknown as {
          __vlDrawnNumber: (p: Element) => number;
        }
      ).__vlDrawnNumber(node)
    );
}

/** Press play and wait until the clip played to its end and paused on its last frame. */
export async function playToEnd(view: Locator): Promise<void> {
  const play = view.locator('.jp-VisionLens-videoPlay');
  await play.click();
  await expect(play).toHaveAttribute('aria-pressed', 'false', {
    timeout: 30000
  });
  await atFrame(view, FRAMES);
}

/** Wait until the counter says `frame` and the image shown is that frame. */
export async function atFrame(view: Locator, frame: number): Promise<void> {
  await expect(view.locator('.jp-VisionLens-videoCounter')).toHaveText(
    `frame ${frame} / ${FRAMES}`
  );
  await expect.poll(() => shownNumber(view)).toBe(frame);
}

export async function openFrame(
  page: IJupyterLabPageFixture,
  sampleId: number,
  name = NAME
): Promise<Locator> {
  await openGrid(page, name);
  await command(page, 'visionlens:open-sample', { dataset: name, sampleId });
  const view = page.locator('#visionlens-sample-main .jp-VisionLens-sample');
  await expect(view.locator('.jp-VisionLens-video')).toBeVisible();
  await view.focus();
  return view;
}
