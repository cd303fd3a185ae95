/**
 * The video view (issue #52 item 3): a CVAT for video task (an H.264 file
 * whose frames have their number drawn into their pixels, made with the
 * Python tests' encoder, and two box tracks) ingested through the REST API;
 * a frame opened in the sample view shows the player: → and Shift+→ step one
 * and ten frames, the counter says which, and the image shown is that frame
 * (its number read back from the pixels in the page); the timeline has one
 * lane per track, the boxes take their track's colour, and a click on the
 * timeline seeks. With a tracker's MOT results that swap the car's identity
 * half-way, evaluated (`POST tracking`), the lanes carry their marks: CVAT's
 * keyframes, the car turning occluded, the identity switch, each with its
 * hover text; the facet panel's switch facet keeps the switch frames. With a
 * second evaluated tracker that keeps the car's identity, the player's select
 * picks whose switches the lanes mark. With TP/FP/FN on and the tracker's
 * boxes evaluated as detections, the frames keep their statuses' colours
 * while the video plays, as the server judges each frame.
 * Screenshots in both themes go to build/screenshots/.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

import { galata, IJupyterLabPageFixture } from '@jupyterlab/galata';
import { APIRequestContext, Locator } from '@playwright/test';

import { expect, test } from './fixtures';
import {
  api,
  command,
  openGrid,
  openSidebar,
  runEnv,
  setTheme,
  shot,
  toolbarItem
} from './helpers';

const NAME = 'ui-video';
const MARKED = 'ui-video-marks';
const TRACKERS = 'ui-video-trackers';
const COLOURED = 'ui-video-colours';
const FRAMES = 40;
const TASK = path.join(
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

test.use({
  autoGoto: true,
  mockSettings: {
    ...galata.DEFAULT_SETTINGS,
    'visionlens_jlab:sample': { openIn: 'tab' }
  }
});

/** The task's files (once per data folder) and the dataset (once). */
async function ingestVideo(
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

async function doneJob(request: APIRequestContext, id: string): Promise<void> {
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
async function ingestTracked(
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
async function importTracker(
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
async function frameSampleId(
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
 * The frame number drawn into the image the stage shows (tests/video_fixtures.py:
 * 12 blocks across the top 24 rows, most significant bit first).
 */
function shownNumber(view: Locator): Promise<number> {
  return view.locator('.jp-VisionLens-fullImage').evaluate(node => {
    const img = node as HTMLImageElement;
    if (!img.complete || img.naturalWidth === 0) {
      return -1;
    }
    const canvas = document.createElement('canvas');
    canvas.width = img.naturalWidth;
    canvas.height = img.naturalHeight;
    const ctx = canvas.getContext('2d') as CanvasRenderingContext2D;
    ctx.drawImage(img, 0, 0);
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
  });
}

/** Wait until the counter says `frame` and the image shown is that frame. */
async function atFrame(view: Locator, frame: number): Promise<void> {
  await expect(view.locator('.jp-VisionLens-videoCounter')).toHaveText(
    `frame ${frame} / ${FRAMES}`
  );
  await expect.poll(() => shownNumber(view)).toBe(frame);
}

async function openFrame(
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

test.describe('the video view', () => {
  test('steps frame by frame, shows that frame, and draws one lane per track', async ({
    page,
    request
  }) => {
    await ingestVideo(request);
    const view = await openFrame(page, await frameSampleId(request, 1));
    await atFrame(view, 1);
    const lanes = view.locator('.jp-VisionLens-videoLane');
    await expect(lanes).toHaveCount(2);

    await page.keyboard.press('ArrowRight');
    await atFrame(view, 2);
    await page.keyboard.press('Shift+ArrowRight');
    await atFrame(view, 12);
    await page.keyboard.press('ArrowLeft');
    await atFrame(view, 11);
    await page.keyboard.press('Shift+ArrowLeft');
    await atFrame(view, 1);
    await page.keyboard.press('Shift+ArrowLeft'); // not before the first frame
    await atFrame(view, 1);
    for (let i = 0; i < 2; i++) {
      await page.keyboard.press('Shift+ArrowRight');
    }
    await atFrame(view, 21);
    await page.keyboard.press('ArrowLeft');
    await atFrame(view, 20);

    // frame 20 has both tracks: each box in its lane's colour
    const boxes = view.locator('.jp-VisionLens-box[data-track]');
    await expect(boxes).toHaveCount(2);
    for (const track of await boxes.evaluateAll(gs =>
      gs.map(g => g.getAttribute('data-track'))
    )) {
      const box = view.locator(
        `.jp-VisionLens-box[data-track="${track}"] rect`
      );
      const mark = view.locator(
        `.jp-VisionLens-videoLane[data-track="${track}"] .jp-VisionLens-videoMark`
      );
      const stroke = await box.first().getAttribute('stroke');
      const fill = await mark
        .first()
        .evaluate(m => (m as HTMLElement).style.background);
      const normal = (colour: string | null) =>
        page.evaluate(c => {
          const el = document.createElement('div');
          el.style.color = c ?? '';
          document.body.append(el);
          const value = getComputedStyle(el).color;
          el.remove();
          return value;
        }, colour);
      expect(await normal(stroke)).toBe(await normal(fill));
    }
    // the car's lane is marked on frames 1-20, the person's on 11-40
    const marks = await lanes.evaluateAll(ls =>
      ls.map(l => [
        l.getAttribute('data-track'),
        [...l.querySelectorAll('.jp-VisionLens-videoMark')].map(m => [
          (m as HTMLElement).style.left,
          (m as HTMLElement).style.width
        ])
      ])
    );
    expect(marks.map(m => m[1])).toEqual([[['0%', '50%']], [['25%', '75%']]]);

    // a click on the timeline seeks to the frame under it
    const timeline = view.locator('.jp-VisionLens-videoTimeline');
    const box = (await timeline.boundingBox())!;
    await timeline.click({
      position: { x: (box.width * 30.5) / FRAMES, y: box.height / 2 }
    });
    await atFrame(view, 31);
    await expect(boxes).toHaveCount(1); // the person only

    for (const dark of [false, true]) {
      await setTheme(page, dark);
      await atFrame(view, 31);
      await shot(view, `video-view-${dark ? 'dark' : 'light'}`);
      // the controls and the timeline (under the image: past the view's shot)
      await shot(
        view.locator('.jp-VisionLens-video'),
        `video-timeline-${dark ? 'dark' : 'light'}`
      );
    }
    await setTheme(page, false);
  });

  test('plays at the video frame rate and pauses on a frame whose labels it shows', async ({
    page,
    request
  }) => {
    await ingestVideo(request);
    const view = await openFrame(page, await frameSampleId(request, 1));
    await atFrame(view, 1);
    const play = view.locator('.jp-VisionLens-videoPlay');
    await play.click();
    await expect(play).toHaveAttribute('aria-pressed', 'true');
    const counter = view.locator('.jp-VisionLens-videoCounter');
    await expect
      .poll(async () => Number(await counter.getAttribute('data-frame')))
      .toBeGreaterThan(5);
    await play.click();
    await expect(play).toHaveAttribute('aria-pressed', 'false');
    const frame = Number(await counter.getAttribute('data-frame'));
    await atFrame(view, frame);
    // the boxes drawn are that frame's: the car until frame 20, the person from 11
    const expected = (frame <= 20 ? 1 : 0) + (frame >= 11 ? 1 : 0);
    await expect(view.locator('.jp-VisionLens-box[data-track]')).toHaveCount(
      expected
    );
  });
  test('marks keyframes, label changes and identity switches on the lanes', async ({
    page,
    request
  }) => {
    await ingestTracked(request);
    const view = await openFrame(
      page,
      await frameSampleId(request, 1, MARKED),
      MARKED
    );
    await atFrame(view, 1);
    const lanes = view.locator('.jp-VisionLens-videoLane');
    await expect(lanes).toHaveCount(5); // 2 ground-truth tracks, 3 of trk
    const car = lanes.first(); // the ground truth's first track: the car
    const marks = car.locator('.jp-VisionLens-videoLabelMark');
    await expect(marks).toHaveCount(4);
    const drawn = await marks.evaluateAll(ms =>
      ms.map(m => [
        m.getAttribute('data-kind'),
        m.getAttribute('data-frame'),
        (m as HTMLElement).style.left,
        m.getAttribute('title')
      ])
    );
    // each at the middle of its frame: (frame - 0.5) / 40 of the width
    expect(drawn).toEqual([
      ['keyframe', '1', '1.25%', 'frame 1: keyframe'],
      ['keyframe', '20', '48.75%', 'frame 20: keyframe'],
      ['change', '20', '48.75%', 'frame 20: occluded 0 → 1'],
      ['switch', '11', '26.25%', 'frame 11: identity switch (trk)']
    ]);
    // the tracker's second identity took over the car on frame 11
    const taken = lanes.locator('.jp-VisionLens-videoLabelMark.jp-mod-switch');
    await expect(taken).toHaveCount(2);
    // marks are drawn (not zero-sized) and a click on one seeks to its frame
    const sw = car.locator('.jp-VisionLens-videoLabelMark.jp-mod-switch');
    const size = (await sw.boundingBox())!;
    expect(size.width).toBeGreaterThan(1);
    expect(size.height).toBeGreaterThan(6);
    const timeline = view.locator('.jp-VisionLens-videoTimeline');
    const box = (await timeline.boundingBox())!;
    await timeline.click({
      position: { x: size.x - box.x + size.width / 2, y: size.y - box.y + 2 }
    });
    await atFrame(view, 11);

    await page.keyboard.press('Shift+ArrowRight'); // the playhead off the marks
    await page.keyboard.press('Shift+ArrowRight');
    await atFrame(view, 31);
    for (const dark of [false, true]) {
      await setTheme(page, dark);
      await shot(
        view.locator('.jp-VisionLens-videoTimeline'),
        `video-marks-${dark ? 'dark' : 'light'}`
      );
    }
    await setTheme(page, false);
  });
  test('a select picks whose identity switches the lanes mark', async ({
    page,
    request
  }) => {
    const { datasets } = await api(request, 'datasets');
    if (!datasets.some((d: { name: string }) => d.name === TRACKERS)) {
      await ingestTracked(request, TRACKERS);
      // `steady` follows the car as one identity: no switch
      const rows: string[] = [];
      for (let f = 1; f <= 20; f++) {
        const x = 10 + ((f - 1) * 110) / 19;
        rows.push(`${f},1,${x},30,40,40,0.9,-1,-1,-1`);
      }
      expect(await importTracker(request, TRACKERS, 'steady', rows)).toBe(0);
    }
    const view = await openFrame(
      page,
      await frameSampleId(request, 1, TRACKERS),
      TRACKERS
    );
    await atFrame(view, 1);
    const tracker = view.locator('.jp-VisionLens-videoTracker');
    await expect(tracker).toBeVisible();
    expect(
      await tracker.locator('option').evaluateAll(os =>
        os.map(o => [(o as HTMLOptionElement).value, o.textContent])
      )
    ).toEqual([
      ['steady', 'switches of steady'],
      ['trk', 'switches of trk']
    ]);
    // the first by name until one is picked: steady, which has none
    await expect(tracker).toHaveValue('steady');
    const switches = view.locator(
      '.jp-VisionLens-videoLabelMark.jp-mod-switch'
    );
    const car = view.locator('.jp-VisionLens-videoLane').first();
    await expect(car.locator('.jp-VisionLens-videoLabelMark')).toHaveCount(3);
    await expect(switches).toHaveCount(0);
    await tracker.selectOption('trk');
    await expect(switches).toHaveCount(2); // the car and trk's second identity
    await expect(car.locator('.jp-mod-switch')).toHaveAttribute(
      'title',
      'frame 11: identity switch (trk)'
    );
    await atFrame(view, 1); // the frame shown stays
    // the pick holds while stepping within the video
    await view.focus(); // the arrows step the view, not the select
    await page.keyboard.press('ArrowRight');
    await atFrame(view, 2);
    await expect(tracker).toHaveValue('trk');
    await expect(switches).toHaveCount(2);
    await tracker.selectOption('steady');
    await expect(switches).toHaveCount(0);
  });

  test('TP/FP/FN colours stay on the frames while the video plays', async ({
    page,
    request
  }) => {
    await ingestTracked(request, COLOURED);
    const { evaluations } = await api(request, `datasets/${COLOURED}/evaluations`);
    if (!evaluations.some((e: { model: string }) => e.model === 'trk')) {
      const { job } = await api(request, `datasets/${COLOURED}/evaluations`, {
        model: 'trk',
        protocol: 'coco',
        iou: 0.5
      });
      await doneJob(request, job.id);
    }
    /** How many boxes of `frame` the server judges TP, FP or FN. */
    const judged = async (frame: number): Promise<number> => {
      const id = await frameSampleId(request, frame, COLOURED);
      const sample = await api(
        request,
        `datasets/${COLOURED}/samples/${id}?eval_status=trk`
      );
      return sample.annotations.filter((a: { status?: string }) =>
        ['tp', 'fp', 'fn'].includes(a.status ?? '')
      ).length;
    };
    const view = await openFrame(
      page,
      await frameSampleId(request, 1, COLOURED),
      COLOURED
    );
    await atFrame(view, 1);
    const bar = view.locator('.jp-VisionLens-sampleTagBar');
    await (await toolbarItem(page, bar, '.jp-VisionLens-evalColours input')).check();
    const coloured = view.locator('.jp-VisionLens-box[data-status]');
    await expect(coloured).toHaveCount(await judged(1));
    expect(await judged(1)).toBeGreaterThan(0);

    // every frame drawn while playing: each of its boxes judged (the tracker's
    // and the ground truth's all are), none drawn in its track's colour
    const play = view.locator('.jp-VisionLens-videoPlay');
    const counter = view.locator('.jp-VisionLens-videoCounter');
    // what each painted frame shows, sampled in the page at every animation frame
    // (a poll from the test is too slow for a loaded machine: it may see one frame)
    await view.evaluate(v => {
      const looks: { frame: number; boxes: number; unjudged: number }[] = [];
      (window as any).__vlLooks = looks;
      const look = () => {
        if ((window as any).__vlLooks !== looks) {
          return;
        }
        looks.push({
          frame: Number(
            v
              .querySelector('.jp-VisionLens-videoCounter')
              ?.getAttribute('data-frame')
          ),
          boxes: v.querySelectorAll('.jp-VisionLens-box').length,
          unjudged: v.querySelectorAll('.jp-VisionLens-box:not([data-status])')
            .length
        });
        requestAnimationFrame(look);
      };
      requestAnimationFrame(look);
    });
    await play.click();
    await expect
      .poll(async () => Number(await counter.getAttribute('data-frame')))
      .toBeGreaterThan(15);
    await play.click();
    await expect(play).toHaveAttribute('aria-pressed', 'false');
    const seen: { frame: number; boxes: number; unjudged: number }[] =
      await view.evaluate(() => {
        const looks = (window as any).__vlLooks;
        (window as any).__vlLooks = null;
        return looks;
      });
    const played = seen.filter(s => s.frame > 1);
    expect(new Set(played.map(s => s.frame)).size).toBeGreaterThan(1);
    for (const s of played) {
      expect(s.boxes).toBeGreaterThan(0);
      expect(s.unjudged).toBe(0);
    }
    const last = Number(await counter.getAttribute('data-frame'));
    await atFrame(view, last);
    await expect(coloured).toHaveCount(await judged(last));
    await (await toolbarItem(page, bar, '.jp-VisionLens-evalColours input')).uncheck();
    await expect(coloured).toHaveCount(0);
  });

  test('the facet panel keeps the frames of an identity switch', async ({
    page,
    request
  }) => {
    await ingestTracked(request);
    await openGrid(page, MARKED);
    await command(page, 'visionlens:clear-filters');
    await openSidebar(page, 'visionlens-filters');
    const filters = page.locator('#visionlens-filters');
    const facet = filters.locator(
      'details[data-facet="track.switched@ground_truth#trk"]'
    );
    const switched = facet.locator(
      '.jp-VisionLens-facetValue[data-value="true"]'
    );
    // one ground-truth object switched (the car on frame 11), of 50 objects
    await expect(switched.locator('.jp-VisionLens-valueCount')).toHaveText('1');
    await switched.locator('input').check();
    await expect(filters.locator('.jp-VisionLens-filterTotal')).toHaveText(
      '1 matching samples'
    );
    await command(page, 'visionlens:clear-filters');
  });
});
