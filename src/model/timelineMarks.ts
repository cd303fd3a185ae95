/**
 * The marks on a track's lane of the video timeline, free of the DOM: where
 * its labels change (`changes`: class or attribute), its source's keyframes
 * and the frames its identity switched on in a tracking evaluation, each at
 * the middle of its frame's cell with a hover text. Marks of one kind closer
 * than `minGap` merge into one (a long video keeps a few hundred marks a
 * lane, each saying how many it holds).
 */
import { frameX } from './videoFrames';
import { IVideoTimeline } from './tokens';

type IVideoTrack = IVideoTimeline['tracks'][number];
type IChange = IVideoTrack['changes'][number];

/** What a mark shows. */
export type MarkKind = 'change' | 'keyframe' | 'switch';

/** Kinds in drawing order (later ones on top). */
export const MARK_KINDS: readonly MarkKind[] = ['keyframe', 'change', 'switch'];

/** One mark of a lane. */
export interface ILaneMark {
  kind: MarkKind;
  /** Its first and last frame (equal unless marks merged). */
  first: number;
  last: number;
  /** How many frames' marks it holds. */
  count: number;
  /** Middle of its first frame's cell, in the timeline's width units. */
  x: number;
  /** The hover text. */
  text: string;
}

/**
 * A lane's hover text: the track, its frames and, where the server capped its
 * changes (a long track whose attribute flips often), how many are marked.
 */
export function laneTitle(track: IVideoTrack): string {
  const base =
    `${track.label} · track ${track.track_id} (${track.source}), ` +
    `frames ${track.first_frame}–${track.last_frame}`;
  const shown = track.changes.length;
  return track.changes_total > shown
    ? `${base}; ${shown} of ${track.changes_total} label changes marked, evenly spread`
    : base;
}

/** The name a change's `what` shows: `class`, or the attribute's key. */
export function changedName(what: string): string {
  if (what === 'label') {
    return 'class';
  }
  return what.startsWith('attributes.') ? what.slice(11) : what;
}

/** The text of one frame's changes: `class car → truck; occluded 0 → 1`. */
export function changesText(changes: readonly IChange[]): string {
  return changes
    .map(c => `${changedName(c.what)} ${c.before} → ${c.after}`)
    .join('; ');
}

function oneText(
  kind: MarkKind,
  frame: number,
  changes: readonly IChange[],
  model: string | null
): string {
  switch (kind) {
    case 'change':
      return `frame ${frame}: ${changesText(changes)}`;
    case 'keyframe':
      return `frame ${frame}: keyframe`;
    default:
      return `frame ${frame}: identity switch${model ? ` (${model})` : ''}`;
  }
}

const PLURAL: { [kind in MarkKind]: string } = {
  change: 'label changes',
  keyframe: 'keyframes',
  switch: 'identity switches'
};

/**
 * The marks of `track` on a timeline `width` wide of `count` frames; `model`:
 * whose switches they are (the timeline's). Marks of one kind closer than
 * `minGap` (same units) merge into the first one.
 */
export function laneMarks(
  track: IVideoTrack,
  width: number,
  count: number,
  model: string | null = null,
  minGap = 0
): ILaneMark[] {
  const byFrame = new Map<number, IChange[]>();
  for (const change of track.changes) {
    const list = byFrame.get(change.frame);
    if (list) {
      list.push(change);
    } else {
      byFrame.set(change.frame, [change]);
    }
  }
  const frames: { [kind in MarkKind]: number[] } = {
    keyframe: track.keyframes,
    change: [...byFrame.keys()],
    switch: track.switches
  };
  const cell = count > 0 ? width / count : 0;
  const out: ILaneMark[] = [];
  for (const kind of MARK_KINDS) {
    let open: ILaneMark | null = null;
    for (const frame of [...new Set(frames[kind])].sort((a, b) => a - b)) {
      const x = frameX(frame, width, count) + cell / 2;
      if (open && x - open.x < minGap) {
        open.last = frame;
        open.count += 1;
        open.text = `frames ${open.first}–${frame}: ${open.count} ${PLURAL[kind]}`;
        continue;
      }
      const changes = byFrame.get(frame) ?? [];
      open = {
        kind,
        first: frame,
        last: frame,
        count: 1,
        x,
        text: oneText(kind, frame, changes, model)
      };
      out.push(open);
    }
  }
  return out;
}
