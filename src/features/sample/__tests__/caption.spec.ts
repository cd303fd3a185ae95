/**
 * The sample view shows the caption a caption job wrote (`computed.caption`)
 * as text above the fields: markup in it stays characters, and a sample
 * without a caption (or with a value that is not text) gets no section.
 */
import { ServerConnection } from '@jupyterlab/services';

import { VisionLensClient } from '../../../api/client';
import { ISample } from '../../../api/types';
import { VisionLensModel } from '../../../model/model';
import { sampleTables } from '../sampleTables';
import { wireSample } from '../../../__tests__/wireSample';

const HOSTILE = '<img src=x onerror=alert(1)>';

function makeModel(): VisionLensModel {
  return new VisionLensModel({
    client: new VisionLensClient(ServerConnection.makeSettings()),
    state: null,
    saveDelay: 0
  });
}

function sample(computed?: { [field: string]: unknown }): ISample {
  return wireSample({
    sample_id: 7,
    file_name: 'a.jpg',
    width: 4,
    height: 3,
    ...(computed === undefined ? {} : { computed })
  });
}

/** The side panel of the sample view, as the view fills it. */
function side(s: ISample): HTMLDivElement {
  const node = document.createElement('div');
  node.append(...sampleTables(makeModel(), s));
  return node;
}

function headings(node: HTMLElement): string[] {
  return [...node.querySelectorAll('h3')].map(el => el.textContent ?? '');
}

describe('the caption in the sample view', () => {
  it('shows the caption as a section before the fields', () => {
    const node = side(sample({ caption: 'a dog on a red sofa', dup_group: 3 }));
    expect(headings(node)).toEqual(['Caption', 'Fields', 'Boxes (0)']);
    const shown = node.querySelector('.jp-VisionLens-sampleCaption');
    expect(shown?.textContent).toBe('a dog on a red sofa');
  });

  it('keeps a hostile caption as text', () => {
    const node = side(sample({ caption: HOSTILE }));
    const shown = node.querySelector('.jp-VisionLens-sampleCaption');
    expect(shown?.textContent).toBe(HOSTILE);
    expect(shown?.children.length).toBe(0);
    expect(node.querySelector('img')).toBeNull();
  });

  it('shows bidi controls in a caption as code points', () => {
    const node = side(sample({ caption: 'cat\u202Egnp.exe' }));
    expect(
      node.querySelector('.jp-VisionLens-sampleCaption')?.textContent
    ).toBe('cat[U+202E]gnp.exe');
  });

  it('shows no caption section for a sample without one', () => {
    for (const s of [
      sample(),
      sample({}),
      sample({ dup_group: 3 }),
      sample({ caption: '  ' }),
      sample({ caption: 42 }),
      sample({ caption: { text: HOSTILE } })
    ]) {
      const node = side(s);
      expect(headings(node)).toEqual(['Fields', 'Boxes (0)']);
      expect(node.querySelector('.jp-VisionLens-sampleCaption')).toBeNull();
    }
  });
});
