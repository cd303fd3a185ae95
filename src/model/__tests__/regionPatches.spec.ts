/**
 * A semantic run's regions as tiles of the patches view: keys no object has,
 * each region's own, and the caption that says its class against the model's.
 */
import { IRegionPatch } from '../../api/patchTypes';
import { patchCaption } from '../../features/patches/patchTiles';
import {
  regionCaption,
  regionKey,
  regionTile,
  regionTitle,
  tileSamples
} from '../regionPatches';

const ROAD: IRegionPatch = {
  sample_id: 7,
  region: 3,
  label: 'road',
  predicted: 'sidewalk',
  pixels: 840,
  x: 4,
  y: 5,
  w: 30,
  h: 20,
  score: 0.125,
  flagged: true,
  file_name: 'a.png',
  image_width: 64,
  image_height: 48,
  crop: [0, 0, 45, 33]
};

describe('regionPatches', () => {
  it('keys every region apart, negative (no object id)', () => {
    const keys = new Set<number>();
    for (const sample of [0, 1, 2, 123456789]) {
      for (const region of [0, 1, 2 ** 20 - 1]) {
        const key = regionKey(sample, region);
        expect(key).toBeLessThan(0);
        expect(Number.isSafeInteger(key)).toBe(true);
        keys.add(key);
      }
    }
    expect(keys.size).toBe(12);
  });

  it('shows a region as an object whose box is the region, with its key', () => {
    const tile = regionTile('net', ROAD);
    expect(tile).toMatchObject({
      ann_id: regionKey(7, 3),
      sample_id: 7,
      source: 'net',
      label: 'road',
      bbox: [4, 5, 30, 20],
      x: 4,
      y: 5,
      w: 30,
      h: 20,
      score: 0.125,
      area: 840,
      crop: [0, 0, 45, 33],
      region: {
        model: 'net',
        region: 3,
        predicted: 'sidewalk',
        pixels: 840,
        flagged: true
      }
    });
  });

  it('captions a region by its class against the model and score, titles it with its size', () => {
    const tile = regionTile('net', ROAD);
    expect(regionCaption(tile)).toBe('road → sidewalk · 0.13');
    expect(regionTitle(tile)).toBe(`${ROAD.file_name} (region 3, 840 px)`);
    expect(patchCaption(tile)).toBe('road → sidewalk · 0.13');
    const none = regionTile('net', { ...ROAD, predicted: null });
    expect(patchCaption(none)).toBe('road → no class · 0.13');
    const object = { ...tile, region: undefined };
    expect(regionCaption(object)).toBeNull();
    expect(regionTitle(object)).toBeNull();
    expect(patchCaption(object)).toBe('road · 0.13'); // an object's own caption
  });

  it("gives a selection's samples ascending, each once", () => {
    const tiles = [9, 7, 9, 8].map(s =>
      regionTile('net', { ...ROAD, sample_id: s })
    );
    expect(tileSamples(tiles)).toEqual([7, 8, 9]);
  });
});
