/**
 * The video view (issue #52 item 3) on the shared clip (`videoClip.ts`): a
 * frame opened in the sample view shows the player: → and Shift+→ step one
 * and ten frames, the counter says which, and the image shown is that frame
 * (its number read back from the pixels in the page); the timeline has one
 * lane per track, the boxes take their track's colour, and a click on the
 * timeline seeks; playing runs at the video's frame rate and pausing shows
 * the labels of the frame it stops on, in the side tables too.
 * Screenshots in both themes go to build/screenshots/.
 */
import { expect, test } from './fixtures';
import { setTheme, shot } from './helpers';
import {
  atFrame,
  FRAMES,
  frameSampleId,
  ingestVideo,
  openFrame,
  VIDEO_SETTINGS
} from './videoClip';

test.use(VIDEO_SETTINGS);

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
    // the side tables, which follow a playing video a few times a second, end
    // on the frame it stopped on
    const frameRow = view.locator('.jp-VisionLens-fieldsTable tr', {
      has: page.locator('th', { hasText: /^fields\.frame_number$/ })
    });
    await expect(frameRow.locator('td').last()).toHaveText(String(frame));
    await expect(
      view.locator('.jp-VisionLens-boxesTable .jp-VisionLens-boxLabelCell')
    ).toHaveCount(expected);
  });
});
