/**
 * The video view of an evaluated tracker (issue #52 items 3 and 5) on the
 * shared clip (`videoClip.ts`). With a tracker's MOT results that swap the
 * car's identity half-way, evaluated (`POST tracking`), the lanes carry their
 * marks: CVAT's keyframes, the car turning occluded, the identity switch,
 * each with its hover text; the facet panel's switch facet keeps the switch
 * frames. With a second evaluated tracker that keeps the car's identity, the
 * player's select picks whose switches the lanes mark. With TP/FP/FN on and
 * the tracker's boxes evaluated as detections, the frames keep their
 * statuses' colours while the video plays, as the server judges each frame.
 * Screenshots in both themes go to build/screenshots/.
 */
import { expect, test } from './fixtures';
import {
  api,
  command,
  openGrid,
  openSidebar,
  setTheme,
  shot,
  toolbarItem
} from './helpers';
import {
  atFrame,
  COLOURED,
  doneJob,
  frameSampleId,
  importTracker,
  ingestTracked,
  MARKED,
  openFrame,
  TRACKERS,
  VIDEO_SETTINGS
} from './videoClip';

test.use(VIDEO_SETTINGS);

test.describe('the video view of a tracker', () => {
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
