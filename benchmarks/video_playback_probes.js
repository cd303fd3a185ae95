/**
 * What bench_video_playback.js runs inside the JupyterLab page:
 * `installPlaybackProbe` is serialized by Playwright and defines
 * `window.__vlPlay`, which samples the video view on every animation frame:
 *   - `counter`: the frame the player's counter says (`data-frame`);
 *   - `imageOf`: the sample whose image the stage holds (loaded), from its
 *     URL; or, where the stage shows a canvas that native playback drew from
 *     the video's file, `imageFrame`: the frame the canvas says it holds
 *     (`data-frame`); and for every 10th picture `pixel`: the frame number
 *     drawn into its pixels (tests/video_fixtures.py: 12 black/white blocks
 *     across the top, most significant bit first), read back to check the
 *     URL's or the canvas's frame, so that nothing of the app's state is
 *     trusted for which frame is on screen;
 *   - `box`: the frame box track 0 was drawn for (its left edge is a known
 *     function of its frame: video_playback_data.py's `box_left`);
 *   - `labelsOf`: the sample whose labels (boxes and the masks' canvas) the
 *     stage says it drew (`data-labels-of`);
 * kept only when one of them changed, each with its time; plus every long
 * task (main thread busy > 50 ms) while playing, and the time the probe
 * itself took.
 */

/* eslint-disable no-undef */

/**
 * Define `window.__vlPlay` in the page (once per page, before the frame opens).
 * @param {{boxOffset: number, width: number}} video box track 0's left edge
 *     minus its frame number, and the video's width in pixels
 */
function installPlaybackProbe({ boxOffset, width }) {
  /** @typedef {{t: number, counter: number, imageOf: string, imageFrame: number | null, pixel: number | null, box: number, labelsOf: string}} Sample */
  const rec = {
    playing: false,
    samples: /** @type {Sample[]} */ ([]),
    longtasks: /** @type {{t: number, ms: number}[]} */ ([]),
    probeMs: 0,
    ticks: 0
  };
  // a frame image and its sample per frame: 600 entries in 10 s at 30 fps
  performance.setResourceTimingBufferSize(100000);
  new PerformanceObserver(list => {
    for (const e of list.getEntries()) {
      if (rec.playing) {
        rec.longtasks.push({ t: e.startTime, ms: e.duration });
      }
    }
  }).observe({ type: 'longtask' });

  const small = document.createElement('canvas');
  small.width = 12;
  small.height = 1;
  const ctx = /** @type {CanvasRenderingContext2D} */ (
    small.getContext('2d', { willReadFrequently: true })
  );
  /** The number drawn into a picture's pixels (-1: no picture yet). */
  const drawnNumber = (
    /** @type {HTMLImageElement | HTMLCanvasElement} */ img,
    /** @type {number} */ pictureWidth
  ) => {
    if (pictureWidth === 0) {
      return -1;
    }
    // the middle half of each block of the band, averaged into one pixel
    const block = pictureWidth / 12;
    const band = (24 * pictureWidth) / width; // 24 rows of the video
    for (let bit = 0; bit < 12; bit++) {
      const sx = bit * block + block / 4;
      ctx.drawImage(img, sx, band / 4, block / 2, band / 2, bit, 0, 1, 1);
    }
    const d = ctx.getImageData(0, 0, 12, 1).data;
    let n = 0;
    for (let bit = 0; bit < 12; bit++) {
      const grey = (d[bit * 4] + d[bit * 4 + 1] + d[bit * 4 + 2]) / 3;
      n = n * 2 + (grey > 128 ? 1 : 0);
    }
    return n;
  };
  /** The frame box track 0 (the topmost box) was drawn for (-1: none). */
  const boxFrame = (/** @type {Element} */ view) => {
    let top = Infinity;
    let frame = -1;
    for (const rect of view.querySelectorAll('.jp-VisionLens-box rect')) {
      const y = Number(rect.getAttribute('y'));
      if (y < top) {
        top = y;
        frame = Math.round(Number(rect.getAttribute('x')) - boxOffset);
      }
    }
    return frame;
  };

  // Which sample's image the stage holds, from its URL (or which frame its
  // canvas holds); every PIXEL_EVERY-th new picture also from its pixels, to
  // check that against what is shown:
  // reading pixels back decodes the 720p frame again on the main thread
  // (~14 ms here), which on every frame would slow the playback measured.
  const PIXEL_EVERY = 10;
  let imageKey = '';
  let images = 0;
  /** @type {{id: string, frame: number | null, pixel: number | null}} */
  let image = { id: '', frame: null, pixel: null };
  const imageOf = (/** @type {Element | null} */ el) => {
    if (el instanceof HTMLCanvasElement) {
      const key = `canvas:${el.dataset.frame}`;
      if (key !== imageKey) {
        imageKey = key;
        const check = images++ % PIXEL_EVERY === 0;
        image = {
          id: '',
          frame: Number(el.dataset.frame),
          pixel: check ? drawnNumber(el, el.width) : null
        };
      }
      return image;
    }
    const img = el instanceof HTMLImageElement ? el : null;
    const ready = img && img.complete && img.naturalWidth > 0;
    const key = ready ? img.currentSrc : '';
    if (key !== imageKey) {
      imageKey = key;
      const id = /\/samples\/(\d+)\/image/.exec(key)?.[1] ?? '';
      const check = img !== null && id !== '' && images++ % PIXEL_EVERY === 0;
      image = {
        id,
        frame: null,
        pixel: img && check ? drawnNumber(img, img.naturalWidth) : null
      };
    }
    return image;
  };

  let last = '';
  const tick = () => {
    const t0 = performance.now();
    rec.ticks++;
    const player = document.querySelector('.jp-VisionLens-video:not([hidden])');
    const view = player?.closest('.jp-VisionLens-sample');
    if (player && view) {
      const counter = /** @type {HTMLElement} */ (
        player.querySelector('.jp-VisionLens-videoCounter')
      );
      const canvas = /** @type {HTMLElement | null} */ (
        view.querySelector('.jp-VisionLens-canvas')
      );
      const { id, frame, pixel } = imageOf(
        view.querySelector('.jp-VisionLens-fullImage')
      );
      const s = {
        t: t0,
        counter: Number(counter?.dataset.frame ?? -1),
        imageOf: id,
        imageFrame: frame,
        pixel,
        box: boxFrame(view),
        labelsOf: canvas?.dataset.labelsOf ?? ''
      };
      const key = `${s.counter}/${s.imageOf}/${s.imageFrame}/${s.box}/${s.labelsOf}`;
      if (key !== last) {
        last = key;
        rec.samples.push(s);
      }
    }
    rec.probeMs += performance.now() - t0;
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);

  /** The play button of the video view. */
  const playButton = () =>
    /** @type {HTMLButtonElement} */ (
      document.querySelector(
        '.jp-VisionLens-video:not([hidden]) .jp-VisionLens-videoPlay'
      )
    );
  /** Press play, let it play `ms`, press pause; the frames it went through. */
  const play = async (/** @type {number} */ ms) => {
    rec.samples = rec.samples.slice(-1); // from the frame shown before play
    rec.longtasks = [];
    performance.clearResourceTimings();
    rec.playing = true;
    const t0 = performance.now();
    playButton().click();
    await new Promise(r => setTimeout(r, ms));
    playButton().click();
    const t1 = performance.now();
    rec.playing = false;
    // the resources fetched while playing: frame images and frame samples (one per
    // frame, or a window of frames' in one POST samples/details), the video's
    // file (native playback: its range requests)
    const timings = performance
      .getEntriesByType('resource')
      .map(e => /** @type {PerformanceResourceTiming} */ (e))
      .filter(e => e.startTime >= t0 && e.startTime <= t1)
      .map(e => ({
        kind: /\/samples\/\d+\/image(\?|$)/.test(e.name)
          ? 'image'
          : /\/samples\/\d+\/video(\?|$)/.test(e.name)
            ? 'video'
            : /\/samples\/(\d+|details)(\?|$)/.test(e.name)
              ? 'sample'
              : 'other',
        ms: e.duration,
        wait: e.responseStart - e.requestStart,
        bytes: e.encodedBodySize
      }));
    return { t0, t1, rec: { ...rec }, timings };
  };
  /** @type {any} */ (window).__vlPlay = { rec, play };
}

module.exports = { installPlaybackProbe };
