/**
 * The video view's timeline: one lane per track (its colour is the track's,
 * as on the overlay's boxes), a mark wherever the track has an object, and a
 * playhead on the frame shown. Pressing or dragging anywhere on it seeks
 * (`onSeek`, the frame under the pointer). On each lane, marks where the
 * track's labels change, its keyframes and its identity switches
 * (`laneMarks`), each with its hover text. Geometry in percent of the width
 * (`trackLanes`, `laneMarks`), so a resize needs no redraw.
 */
import { h } from '../../base/dom';
import {
  frameAt,
  frameCount,
  frameX,
  trackLanes
} from '../../model/videoFrames';
import { laneMarks, laneTitle } from '../../model/timelineMarks';
import { IVideoTimeline } from '../../model/tokens';

/** Longest lane list drawn (a crowd video): the rest are counted. */
const MAX_LANES = 200;

/** Closest two marks of a kind on a lane (percent of the width) not merged. */
const MARK_GAP = 0.25;

/** The timeline of one video. */
export class VideoTimeline {
  constructor(private readonly _onSeek: (frame: number) => void) {
    this.node = h('div', {
      className: 'jp-VisionLens-videoTimeline',
      attrs: { role: 'slider', 'aria-label': 'Video timeline' }
    });
    this._lanes = h('div', { className: 'jp-VisionLens-videoLanes' });
    this._playhead = h('div', { className: 'jp-VisionLens-videoPlayhead' });
    this._more = h('div', { className: 'jp-VisionLens-videoMoreTracks' });
    this.node.append(this._lanes, this._playhead, this._more);
    this.node.addEventListener('pointerdown', this);
    this.node.addEventListener('pointermove', this);
    this.node.addEventListener('pointerup', this);
    this.node.addEventListener('pointercancel', this);
  }

  readonly node: HTMLDivElement;

  /** Draw the lanes of `timeline` (none: an empty timeline). */
  setTimeline(timeline: IVideoTimeline | null): void {
    this._timeline = timeline;
    this._count = timeline ? frameCount(timeline) : 0;
    const lanes = timeline ? trackLanes(timeline, 100) : [];
    this._lanes.replaceChildren(
      ...lanes.slice(0, MAX_LANES).map(lane => {
        const { track } = lane;
        const row = h('div', {
          className: 'jp-VisionLens-videoLane',
          title: laneTitle(track),
          attrs: {
            'data-track': String(track.track_id),
            'data-source': track.source
          }
        });
        for (const [x, w] of lane.marks) {
          const mark = h('div', { className: 'jp-VisionLens-videoMark' });
          mark.style.left = `${x}%`;
          mark.style.width = `${w}%`;
          mark.style.background = lane.color;
          row.append(mark);
        }
        const count = this._count;
        for (const m of laneMarks(
          track,
          100,
          count,
          timeline?.model ?? null,
          MARK_GAP
        )) {
          const mark = h('div', {
            className: `jp-VisionLens-videoLabelMark jp-mod-${m.kind}`,
            title: m.text,
            attrs: { 'data-kind': m.kind, 'data-frame': String(m.first) }
          });
          mark.style.left = `${m.x}%`;
          row.append(mark);
        }
        return row;
      })
    );
    const hidden = lanes.length - MAX_LANES;
    this._more.textContent = hidden > 0 ? `${hidden} more tracks` : '';
    this._more.hidden = hidden <= 0;
    this.node.setAttribute('aria-valuemin', '1');
    this.node.setAttribute('aria-valuemax', String(this._count));
  }

  /** Move the playhead to `frame`. */
  setFrame(frame: number): void {
    const count = this._count;
    this._playhead.style.left = `${frameX(frame, 100, count)}%`;
    this._playhead.style.width = `${count > 0 ? 100 / count : 0}%`;
    this.node.setAttribute('aria-valuenow', String(frame));
  }

  handleEvent(event: PointerEvent): void {
    if (!this._timeline) {
      return;
    }
    switch (event.type) {
      case 'pointerdown':
        if (event.button !== 0) {
          return;
        }
        this._dragging = true;
        this.node.setPointerCapture?.(event.pointerId);
        event.preventDefault();
        this._seekAt(event);
        break;
      case 'pointermove':
        if (this._dragging) {
          this._seekAt(event);
        }
        break;
      default:
        this._dragging = false;
    }
  }

  private _seekAt(event: PointerEvent): void {
    const rect = this.node.getBoundingClientRect();
    const frame = frameAt(event.clientX - rect.left, rect.width, this._count);
    if (frame !== this._lastAsked || event.type === 'pointerdown') {
      this._lastAsked = frame;
      this._onSeek(frame);
    }
  }

  private _timeline: IVideoTimeline | null = null;
  private _count = 0;
  private _dragging = false;
  private _lastAsked = 0;
  private _lanes: HTMLDivElement;
  private _playhead: HTMLDivElement;
  private _more: HTMLDivElement;
}
