/**
 * The marks on a timeline lane (`model/timelineMarks.ts`): each at the middle
 * of its frame's cell, one per frame however many attributes changed there,
 * merged when closer than the gap, with hover texts naming what changed; and
 * the `track` condition the tracking-outcome facets set (`model/filters.ts`).
 */
import { getCategorical, getRange, setCategorical, setRange } from '../filters';
import { changesText, laneMarks, laneTitle } from '../timelineMarks';
import { IVideoTimeline } from '../tokens';

type Track = IVideoTimeline['tracks'][number];

function track(parts: Partial<Track>): Track {
  return {
    source: 'ground_truth',
    track_id: 7,
    label: 'car',
    first_frame: 1,
    last_frame: 100,
    runs: [[1, 100]],
    changes: [],
    changes_total: 0,
    keyframes: [],
    switches: [],
    ...parts
  };
}

describe('timeline lane marks', () => {
  it("says in the lane's title when the server capped its changes", () => {
    const change = { frame: 3, what: 'label', before: 'car', after: 'bus' };
    const whole = track({ changes: [change], changes_total: 1 });
    expect(laneTitle(whole)).toBe('car · track 7 (ground_truth), frames 1–100');
    const capped = track({ changes: [change], changes_total: 40 });
    expect(laneTitle(capped)).toBe(
      'car · track 7 (ground_truth), frames 1–100; 1 of 40 label changes marked, evenly spread'
    );
  });

  it('puts each mark at the middle of its frame, one per frame and kind', () => {
    const t = track({
      changes: [
        { frame: 3, what: 'label', before: 'car', after: 'truck' },
        { frame: 3, what: 'attributes.occluded', before: '0', after: '1' },
        { frame: 9, what: 'attributes.visibility', before: '0.8', after: '0.2' }
      ],
      keyframes: [1, 3],
      switches: [9]
    });
    // 10 frames on 200 px: 20 px a frame, the middle 10 px in
    const marks = laneMarks(t, 200, 10, 'trk');
    expect(marks.map(m => [m.kind, m.first, m.x])).toEqual([
      ['keyframe', 1, 10],
      ['keyframe', 3, 50],
      ['change', 3, 50],
      ['change', 9, 170],
      ['switch', 9, 170]
    ]);
    expect(marks[2].text).toBe('frame 3: class car → truck; occluded 0 → 1');
    expect(marks[3].text).toBe('frame 9: visibility 0.8 → 0.2');
    expect(marks[0].text).toBe('frame 1: keyframe');
    expect(marks[4].text).toBe('frame 9: identity switch (trk)');
    expect(laneMarks(t, 200, 10)[4].text).toBe('frame 9: identity switch');
  });

  it('merges marks of a kind closer than the gap, saying how many', () => {
    // 1,000 frames on 100 units: 0.1 a frame; a gap of 0.25 merges 1-3
    const t = track({ switches: [1, 2, 3, 4, 500], keyframes: [2] });
    const marks = laneMarks(t, 100, 1000, 'trk', 0.25);
    const switches = marks.filter(m => m.kind === 'switch');
    expect(switches.map(m => [m.first, m.last, m.count])).toEqual([
      [1, 3, 3],
      [4, 4, 1],
      [500, 500, 1]
    ]);
    expect(switches[0].x).toBeCloseTo(0.05);
    expect(switches[0].text).toBe('frames 1–3: 3 identity switches');
    // other kinds are not merged into them
    expect(marks.filter(m => m.kind === 'keyframe').map(m => m.first)).toEqual([
      2
    ]);
    // a timeline of no frames draws its marks at 0, never NaN
    expect(laneMarks(t, 100, 0).every(m => m.x === 0)).toBe(true);
  });

  it('shows dataset text as it is', () => {
    expect(
      changesText([
        { frame: 1, what: 'attributes.<b>', before: '<i>', after: 'x' }
      ])
    ).toBe('<b> <i> → x');
  });
});

describe('the track condition of the tracking-outcome facets', () => {
  const key = (name: string, source: string, model: string) => ({
    name: `track.${name}`,
    source,
    model,
    filter: { path: 'labels.track' as const, key: name }
  });

  it('sets and reads the labels entry track condition of the model', () => {
    const status = key('status', 'ground_truth', 'trk');
    let f = setCategorical({}, status, ['missed']);
    expect(f).toEqual({
      labels: [
        { source: 'ground_truth', track: { model: 'trk', status: ['missed'] } }
      ]
    });
    expect(getCategorical(f, status)).toEqual(['missed']);
    // another model's facet reads nothing there and replaces the condition
    expect(getCategorical(f, key('status', 'ground_truth', 'other'))).toEqual(
      []
    );
    const switched = key('switched', 'ground_truth', 'trk');
    f = setCategorical(f, switched, ['true']);
    expect(f.labels?.[0].track).toEqual({
      model: 'trk',
      status: ['missed'],
      switched: true
    });
    expect(getCategorical(f, switched)).toEqual(['true']);
    // both values of switched: no condition on it
    f = setCategorical(f, switched, ['true', 'false']);
    expect(f.labels?.[0].track).toEqual({ model: 'trk', status: ['missed'] });
    // whole switch counts, within the picked range
    const switches = key('track_switches', 'ground_truth', 'trk');
    f = setRange(f, switches, { min: 0.4, max: 2.7 });
    expect(getRange(f, switches)).toEqual({ min: 1, max: 2 });
    const other = setCategorical(f, key('status', 'ground_truth', 'other'), [
      'matched'
    ]);
    expect(other.labels?.[0].track).toEqual({
      model: 'other',
      status: ['matched']
    });
    // cleared one by one: the entry goes with its last condition
    f = setRange(f, switches, null);
    f = setCategorical(f, status, []);
    expect(f).toEqual({});
  });
});
