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

/** A settings schema's label types (its `labelTypes` object's properties). */
function schemaLabelTypes(name: string): string[] {
  const file = path.resolve(__dirname, `../../../schema/${name}.json`);
  const schema = JSON.parse(fs.readFileSync(file, 'utf-8'));
  const toggles = schema.properties.labelTypes;
  return Object.keys(toggles.properties).filter(k =>
    Object.prototype.hasOwnProperty.call(toggles.default, k)
  );
}

describe('label kinds', () => {
  it('has a setting for every label type in the grid and the sample view', () => {
    for (const name of ['grid', 'sample']) {
      const types = schemaLabelTypes(name);
      for (const kind of kinds) {
        expect(types).toContain(kind.label_type);
      }
    }
  });

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
