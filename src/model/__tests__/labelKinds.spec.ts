import * as fs from 'fs';
import * as path from 'path';

import {
  BOX_KIND,
  EVALUATED_KINDS,
  isObjectLabelType,
  LABEL_TYPES,
  OBJECT_LABEL_TYPES
} from '../labels';

/** The one description of the label kinds, shipped in the Python package. */
const DESCRIPTION_FILE = path.resolve(
  __dirname,
  '../../../visionlens_jlab/records/label_kinds.json'
);

interface IKindEntry {
  name: string;
  label_type: string;
  title: string;
  scope: 'object' | 'image';
  presence: string | null;
  filter_word: string | null;
  iou_type: string | null;
}

const kinds: IKindEntry[] = JSON.parse(
  fs.readFileSync(DESCRIPTION_FILE, 'utf-8')
).kinds;

describe('label kinds', () => {
  it('lists the declared label types with their titles, in order', () => {
    expect(LABEL_TYPES).toEqual(
      kinds.map(k => ({ type: k.label_type, title: k.title }))
    );
  });

  it('knows the declared labels.type words and no other', () => {
    const words = kinds.filter(k => k.filter_word).map(k => k.filter_word);
    expect(OBJECT_LABEL_TYPES).toEqual(words);
    expect(words.every(w => isObjectLabelType(w as string))).toBe(true);
    expect(isObjectLabelType('classification')).toBe(false);
  });

  it('evaluates by the declared iou types, each with its label type', () => {
    expect(EVALUATED_KINDS).toEqual(
      kinds
        .filter(k => k.iou_type)
        .map(k => ({ iouType: k.iou_type, labelType: k.label_type }))
    );
  });

  it('draws the kind every object has as its SVG label', () => {
    const always = kinds.filter(k => k.scope === 'object' && !k.presence);
    expect(always.map(k => k.name)).toEqual([BOX_KIND]);
  });
});
