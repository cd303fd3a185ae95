/**
 * Which videos the browser's `<video>` element plays and which frame each of
 * its pictures is (`model/nativePlayback.ts`).
 */
import {
  frameAtTime,
  nativeMediaType,
  playsNatively,
  timeOfFrame
} from '../nativePlayback';
import { IVideoTimeline } from '../tokens';

function timeline(
  video: Partial<IVideoTimeline['video']> = {},
  frames: (number | null)[] = [11, 12, 13, 14]
): IVideoTimeline {
  return {
    video: {
      video_id: 1,
      name: 'walk.mp4',
      kind: 'file',
      fps: 30,
      num_frames: frames.length,
      duration: frames.length / 30,
      width: 1280,
      height: 720,
      rotation: 0,
      variable_frame_rate: false,
      codec: 'h264',
      content_type: 'video/mp4',
      ...video
    },
    frame_number: 1,
    frames,
    tracks: [],
    tracking_models: [],
    model: null
  };
}

/** A browser that plays exactly `types` (the answers `canPlayType` gives). */
function browser(...types: string[]): (type: string) => string {
  return type => (types.includes(type) ? 'probably' : '');
}

describe('native video playback', () => {
  it('asks the browser by container and codec, never for a sequence', () => {
    expect(nativeMediaType(timeline().video)).toBe(
      'video/mp4; codecs="avc1.42E01E"'
    );
    expect(
      nativeMediaType(
        timeline({ codec: 'vp9', content_type: 'video/webm' }).video
      )
    ).toBe('video/webm; codecs="vp09.00.10.08"');
    // a codec without a known parameter: asked by its container alone
    expect(nativeMediaType(timeline({ codec: 'mpeg4' }).video)).toBe(
      'video/mp4'
    );
    expect(
      nativeMediaType(
        timeline({ kind: 'sequence', codec: null, content_type: null }).video
      )
    ).toBeNull();
  });

  it('plays only what keeps each picture named by its frame', () => {
    const h264 = browser('video/mp4; codecs="avc1.42E01E"');
    expect(playsNatively(timeline(), h264)).toBe(true);
    // the browser refuses the codec (Chromium without HEVC)
    expect(playsNatively(timeline({ codec: 'hevc' }), h264)).toBe(false);
    // frame numbers from times need a constant, known rate
    expect(playsNatively(timeline({ variable_frame_rate: true }), h264)).toBe(
      false
    );
    expect(playsNatively(timeline({ fps: null }), h264)).toBe(false);
    // the element turns a rotated file itself: drawn turned, labels not
    expect(playsNatively(timeline({ rotation: 90 }), h264)).toBe(false);
    // a frame without a sample has no labels to draw with its picture
    expect(playsNatively(timeline({}, [11, null, 13, 14]), h264)).toBe(false);
    expect(
      playsNatively(timeline({ num_frames: 5 }, [11, 12, 13, 14]), h264)
    ).toBe(false);
    expect(
      playsNatively(
        timeline({ kind: 'sequence', codec: null, content_type: null }),
        () => 'probably'
      )
    ).toBe(false);
  });

  it('names each picture by the frame whose interval starts nearest', () => {
    // 30 fps: frame N starts at (N - 1) / 30 s
    expect(frameAtTime(0, 30, 600)).toBe(1);
    expect(frameAtTime(1 / 30, 30, 600)).toBe(2);
    // timestamps in whole microseconds fall a little short or long
    expect(frameAtTime(0.033333, 30, 600)).toBe(2);
    expect(frameAtTime(0.066667, 30, 600)).toBe(3);
    expect(frameAtTime(19.966667, 30, 600)).toBe(600);
    // never outside the video
    expect(frameAtTime(25, 30, 600)).toBe(600);
    expect(frameAtTime(-0.01, 30, 600)).toBe(1);
    // every frame of an hour at 29.97 fps, through microsecond timestamps
    const fps = 30000 / 1001;
    for (let n = 1; n <= 107892; n += 997) {
      const micros = Math.round(((n - 1) / fps) * 1e6);
      expect(frameAtTime(micros / 1e6, fps, 107892)).toBe(n);
    }
  });

  it('seeks into the middle of a frame, which names it back', () => {
    for (const fps of [25, 30, 30000 / 1001, 60]) {
      for (const n of [1, 2, 77, 600]) {
        const t = timeOfFrame(n, fps);
        expect(t).toBeGreaterThan((n - 1) / fps);
        expect(t).toBeLessThan(n / fps);
      }
    }
  });
});
