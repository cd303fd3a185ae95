/**
 * Playing a video file in the browser's own `<video>` element, free of the
 * DOM: whether a video can be (`nativeMediaType`, `playsNatively`) and which
 * frame number a decoded picture of it is (`frameAtTime`) or where a frame
 * starts playing (`timeOfFrame`).
 *
 * The element decodes at the video's speed where asking the server for one
 * image per frame falls behind (28 of 30 fps for a 720p video:
 * benchmarks/results/video.md); the server's frames stay what a paused or
 * stepped view shows, since they are the N-th decoded frame of the file by
 * construction. Frame numbers come from presentation times, which is exact
 * only at a constant frame rate: a variable frame rate plays from images.
 */
import { IVideoTimeline } from './tokens';

/** The `video` part of a timeline (the video's row). */
export type ITimelineVideo = IVideoTimeline['video'];

/**
 * The `codecs` parameter that names each decoder's stream to `canPlayType`
 * (the baseline profile of each: any profile of a codec the browser decodes
 * answers the same). A codec not here is asked by container alone.
 */
const CODEC_PARAMETERS: Readonly<Record<string, string>> = {
  h264: 'avc1.42E01E',
  hevc: 'hvc1.1.6.L93.B0',
  vp8: 'vp8',
  vp9: 'vp09.00.10.08',
  av1: 'av01.0.04M.08'
};

/**
 * The media type (with its codec) to ask the browser whether it plays
 * `video`; null for a sequence of images, which has no file to play.
 */
export function nativeMediaType(video: ITimelineVideo): string | null {
  if (video.kind !== 'file' || !video.content_type) {
    return null;
  }
  const codec = video.codec ? CODEC_PARAMETERS[video.codec] : undefined;
  return codec
    ? `${video.content_type}; codecs="${codec}"`
    : video.content_type;
}

/**
 * Whether `timeline`'s video plays in a `<video>` element with each picture's
 * frame number known: a file of a type `canPlayType` does not refuse, at a
 * constant, known frame rate, not turned for display (a turned picture would
 * be drawn turned twice), with a sample for every frame (the labels drawn
 * with each picture are its sample's).
 */
export function playsNatively(
  timeline: IVideoTimeline,
  canPlayType: (type: string) => string
): boolean {
  const video = timeline.video;
  const type = nativeMediaType(video);
  return (
    type !== null &&
    !video.variable_frame_rate &&
    !!video.fps &&
    video.fps > 0 &&
    video.rotation === 0 &&
    timeline.frames.length === video.num_frames &&
    timeline.frames.every(id => id !== null) &&
    canPlayType(type) !== ''
  );
}

/**
 * The frame number (1..`count`) of the picture presented `seconds` of media
 * time after the file's first picture: frame N is presented from
 * (N - 1) / fps, so the nearest frame start names it (a timestamp a rounding
 * error short of its start included).
 */
export function frameAtTime(
  seconds: number,
  fps: number,
  count: number
): number {
  const frame = Math.round(seconds * fps) + 1;
  return Math.min(Math.max(1, frame), Math.max(1, count));
}

/**
 * Where to seek for frame `frame`, in media time after the first picture:
 * the middle of its interval, so that the element stops on that frame and
 * not on the one before it.
 */
export function timeOfFrame(frame: number, fps: number): number {
  return (frame - 1 + 0.5) / fps;
}
