/**
 * The tracks view's tiles (`trackTiles.ts`): the class and facts lines, the
 * strip in time order, the crops asked through the crop URL, the track's
 * text written as text (never HTML) and a tile emptied for a row not loaded.
 */
import { ITrackTile } from '../../../api/videoTypes';
import {
  ITrackTileEl,
  STRIP_CROP,
  stripPatches,
  trackFacts,
  TrackTileRenderer,
  trackTitle
} from '../trackTiles';

function track(frames: number[], over: Partial<ITrackTile> = {}): ITrackTile {
  return {
    video: 'street.mp4',
    video_id: 1,
    track_id: 7,
    source_id: '3',
    label: 'car',
    first_frame: 1,
    last_frame: 6,
    length: 6,
    span: 6,
    first_sample_id: 101,
    matching: frames.length,
    patches: frames.map(f => ({
      frame_number: f,
      sample_id: 100 + f,
      ann_id: 1000 + f,
      bbox: [f, 2, 10, 10]
    })),
    ...over
  };
}

describe('a track tile', () => {
  it('writes its class, identity, length, frames and what the view keeps', () => {
    expect(trackTitle(track([1]))).toBe('car #3');
    expect(trackTitle(track([1], { source_id: null }))).toBe('car #7');
    expect(trackFacts(track([1, 2, 3, 4, 5, 6]))).toBe('6 frames · frames 1–6');
    expect(trackFacts(track([4, 5, 6]))).toBe(
      '6 frames · frames 1–6 · 3 in view'
    );
    const single = track([3], { first_frame: 3, last_frame: 3, length: 1 });
    expect(trackFacts(single)).toBe('1 frame · frame 3');
    expect(trackFacts(track([1], { length: 1200 }))).toMatch(/^1,200 frames/);
  });

  it('lays its objects out in time order', () => {
    const shuffled = track([5, 1, 3]);
    expect(stripPatches(shuffled).map(p => p.frame_number)).toEqual([1, 3, 5]);
    expect(shuffled.patches.map(p => p.frame_number)).toEqual([5, 1, 3]);
  });

  it("shows the objects' crops and the track's text, and empties for no row", () => {
    const asked: [number, number][] = [];
    const renderer = new TrackTileRenderer((annId, size) => {
      asked.push([annId, size]);
      return `/crop/${annId}?size=${size}`;
    });
    const el = renderer.create(document.createElement('div')) as ITrackTileEl;
    const hostile = '<img src=x onerror=alert(1)>';
    renderer.fill(
      el,
      track([5, 1, 3], { label: hostile, video: `${hostile}.mp4` })
    );
    const imgs = [...el.querySelectorAll('img')];
    expect(imgs.map(i => i.getAttribute('src'))).toEqual([
      `/crop/1001?size=${STRIP_CROP}`,
      `/crop/1003?size=${STRIP_CROP}`,
      `/crop/1005?size=${STRIP_CROP}`
    ]);
    expect(imgs.map(i => i.title)).toEqual(['frame 1', 'frame 3', 'frame 5']);
    expect(asked).toEqual([1001, 1003, 1005].map(a => [a, STRIP_CROP]));
    const text = (name: string) =>
      el.querySelector(`.jp-VisionLens-${name}`)!.textContent;
    expect(text('trackTileClass')).toBe(`${hostile} #3`);
    expect(text('trackTileVideo')).toBe(`${hostile}.mp4`);
    expect(text('trackTileFacts')).toBe('6 frames · frames 1–6 · 3 in view');
    expect(el.querySelectorAll('img').length).toBe(3); // the label made no element
    expect(el.dataset.trackId).toBe('7');
    expect(el.dataset.sampleId).toBe('101');
    expect(el.dataset.frame).toBe('1');
    expect(el.getAttribute('aria-label')).toBe(`${hostile} #3, ${hostile}.mp4`);

    renderer.fill(el, null);
    expect(el.querySelectorAll('img').length).toBe(0);
    expect(el.dataset.trackId).toBeUndefined();
    expect(text('trackTileClass')).toBe('');
    expect(el.hasAttribute('aria-label')).toBe(false);
  });
});
