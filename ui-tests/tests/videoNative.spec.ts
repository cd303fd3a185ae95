/**
 * Native playback (issue #52 items 3 and 9) on the shared clip
 * (`videoClip.ts`, an H.264 file): play runs in the browser's own `<video>`
 * element, and every picture the stage shows while playing is a canvas whose
 * pixels hold the frame it says it is (`data-frame`), drawn with that
 * frame's labels (the stage's `data-labels-of`, the boxes of the tracks on
 * that frame) and named by the counter. Recorded in the page on every
 * animation frame, so that nothing is sampled between two of them. At the
 * end the view shows the server's image of the last frame. A file whose
 * first picture is 1 s into its timeline plays with each picture named by
 * its own frame, and a file the element cannot load plays from the server's
 * images instead.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

import { APIRequestContext, Page } from '@playwright/test';

import { expect, test } from './fixtures';
import { api, runEnv } from './helpers';
import {
  atFrame,
  doneJob,
  FRAMES,
  frameSampleId,
  ingestVideo,
  NAME,
  openFrame,
  VIDEO_SETTINGS
} from './videoClip';

test.use(VIDEO_SETTINGS);

/** One animation frame's view of the stage while a canvas is shown. */
interface IPicture {
  frame: number;
  number: number;
  labelsOf: string;
  boxes: number;
  counter: number;
}

/** Record every distinct canvas picture the stage shows, until `stop`. */
async function recordPictures(page: Page): Promise<void> {
  await page.evaluate(() => {
    const seen: IPicture[] = [];
    const w = window as unknown as { __pictures: IPicture[] };
    w.__pictures = seen;
    const number = (c: HTMLCanvasElement): number => {
      const ctx = c.getContext('2d') as CanvasRenderingContext2D;
      const block = c.width / 12;
      const band = (24 * c.width) / 192;
      let n = 0;
      for (let bit = 0; bit < 12; bit++) {
        const d = ctx.getImageData(
          Math.floor(bit * block + block / 4),
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
    let last = '';
    const tick = () => {
      const view = document.querySelector('#visionlens-sample-main');
      const shown = view?.querySelector('.jp-VisionLens-fullImage');
      if (view && shown instanceof HTMLCanvasElement) {
        const stage = view.querySelector<HTMLElement>('.jp-VisionLens-canvas');
        const counter = view.querySelector<HTMLElement>(
          '.jp-VisionLens-videoCounter'
        );
        const p: IPicture = {
          frame: Number(shown.dataset.frame),
          number: number(shown),
          labelsOf: stage?.dataset.labelsOf ?? '',
          boxes: view.querySelectorAll('.jp-VisionLens-box[data-track]').length,
          counter: Number(counter?.dataset.frame)
        };
        const key = JSON.stringify(p);
        if (key !== last) {
          last = key;
          seen.push(p);
        }
      }
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
}

const LATE = 'ui-video-late';

/** A bare clip whose first frame is 1 s into the file's timeline (25 fps: pts 25). */
async function ingestLateClip(request: APIRequestContext): Promise<void> {
  const { datasets } = await api(request, 'datasets');
  if (datasets.some((d: { name: string }) => d.name === LATE)) {
    return;
  }
  const folder = path.join(
    runEnv('VISIONLENS_DATA_DIR'),
    'ui-sources',
    'video-late'
  );
  fs.mkdirSync(folder, { recursive: true });
  execFileSync(process.env.VISIONLENS_PYTHON || 'python', [
    '-c',
    'import sys; from pathlib import Path; sys.path.insert(0, sys.argv[1])\n' +
      'from tests.video_fixtures import write_video\n' +
      'write_video(Path(sys.argv[2]) / "late.mp4", int(sys.argv[3]), gop=10, first_pts=25)',
    path.resolve(__dirname, '..', '..'),
    folder,
    String(FRAMES)
  ]);
  const { job } = await api(request, 'datasets', {
    source: folder,
    name: LATE
  });
  await doneJob(request, job.id);
}

/** The pictures recorded in the page since `recordPictures`. */
async function recorded(page: Page): Promise<IPicture[]> {
  return (await page.evaluate(
    () => (window as unknown as { __pictures: IPicture[] }).__pictures
  )) as IPicture[];
}

/** The boxes of the clip's tracks on `frame`: the car 1-20, the person 11-40. */
const boxesOn = (frame: number): number =>
  (frame <= 20 ? 1 : 0) + (frame >= 11 ? 1 : 0);

test.describe('native video playback', () => {
  test('plays the file, each picture with its own frame and labels', async ({
    page,
    request
  }) => {
    await ingestVideo(request);
    const first = await frameSampleId(request, 1);
    const { frames } = await api(
      request,
      `datasets/${NAME}/samples/${first}/timeline`
    );
    const view = await openFrame(page, first);
    await atFrame(view, 1);
    await recordPictures(page);
    const videoRequests: string[] = [];
    page.on('request', r => {
      if (/\/samples\/\d+\/video$/.test(r.url())) {
        videoRequests.push(r.url());
      }
    });
    const play = view.locator('.jp-VisionLens-videoPlay');
    await play.click();
    // played to the end: paused on the last frame, the server's image of it
    await expect(play).toHaveAttribute('aria-pressed', 'false', {
      timeout: 30000
    });
    await atFrame(view, FRAMES);
    expect(
      await view
        .locator('.jp-VisionLens-fullImage')
        .evaluate(n => n.tagName.toLowerCase())
    ).toBe('img');
    expect(videoRequests.length).toBeGreaterThan(0);

    const pictures = await recorded(page);
    const shownFrames = new Set(pictures.map(p => p.frame));
    // most of the 40 frames were presented and drawn (a slow host drops some)
    expect(shownFrames.size).toBeGreaterThan(FRAMES / 2);
    expect(Math.max(...shownFrames)).toBe(FRAMES);
    for (const p of pictures) {
      expect(p, 'the picture holds the frame it names').toMatchObject({
        number: p.frame,
        labelsOf: String(frames[p.frame - 1]),
        boxes: boxesOn(p.frame),
        counter: p.frame
      });
    }
  });

  test('plays from the server images where the file does not load', async ({
    page,
    request
  }) => {
    await ingestVideo(request);
    const view = await openFrame(page, await frameSampleId(request, 1));
    await atFrame(view, 1);
    let refused = 0;
    await page.route(/\/samples\/\d+\/video$/, route => {
      refused++;
      return route.fulfill({ status: 404, body: 'gone' });
    });
    await recordPictures(page);
    const play = view.locator('.jp-VisionLens-videoPlay');
    await play.click();
    await expect(play).toHaveAttribute('aria-pressed', 'false', {
      timeout: 30000
    });
    await atFrame(view, FRAMES);
    expect(refused).toBeGreaterThan(0);
    expect(await recorded(page)).toEqual([]); // no canvas: every frame an image
  });

  test('names each picture by its frame in a file that starts late', async ({
    page,
    request
  }) => {
    await ingestLateClip(request);
    const first = await frameSampleId(request, 1, LATE);
    const { frames } = await api(
      request,
      `datasets/${LATE}/samples/${first}/timeline`
    );
    const view = await openFrame(page, first, LATE);
    await atFrame(view, 1);
    await recordPictures(page);
    const play = view.locator('.jp-VisionLens-videoPlay');
    await play.click();
    await expect(play).toHaveAttribute('aria-pressed', 'false', {
      timeout: 30000
    });
    await atFrame(view, FRAMES);
    const pictures = await recorded(page);
    expect(new Set(pictures.map(p => p.frame)).size).toBeGreaterThan(
      FRAMES / 2
    );
    for (const p of pictures) {
      expect(p, 'the picture holds the frame it names').toMatchObject({
        number: p.frame,
        labelsOf: String(frames[p.frame - 1]),
        counter: p.frame
      });
    }
  });
});
