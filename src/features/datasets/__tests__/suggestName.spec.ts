/**
 * The ingest form names a dataset or a model after the nearest part of its
 * path that says which data it is (issue 47 item 10: a VOC folder was named
 * "pascalvoc_format").
 */
import { asName, suggestName } from '../suggestName';

describe('suggestName', () => {
  it('skips the parts that only say what kind of file it is', () => {
    expect(suggestName('/d/padilla-review-voc100/gts/pascalvoc_format')).toBe(
      'padilla-review-voc100'
    );
    expect(suggestName('/d/padilla-review-voc100/gts/pascalvoc_format/')).toBe(
      'padilla-review-voc100'
    );
    expect(suggestName('/runs/detect/yolov8n/predictions.json')).toBe(
      'yolov8n'
    );
    expect(
      suggestName('/data/coco-val2014-100/annotations/instances.json')
    ).toBe('coco-val2014-100');
  });

  it("keeps a file's own name when it says something", () => {
    expect(suggestName('/home/me/preds_yolov8m.json')).toBe('preds_yolov8m');
    expect(suggestName('/home/me/cats and dogs.csv')).toBe('cats-and-dogs');
  });

  it('falls back to the file name when every part is generic', () => {
    expect(suggestName('/data/coco/annotations/instances_val2017.json')).toBe(
      'instances_val2017'
    );
    expect(suggestName('')).toBe('');
  });

  it('makes names the server takes', () => {
    expect(asName('__x y/z')).toBe('x-y-z');
    expect(asName('é'.repeat(3))).toBe('');
    expect(asName('a'.repeat(200))).toHaveLength(128);
  });
});
