/**
 * The grid's selection as code follows the model: the ids, the filter form
 * for "all matching", a note instead of code past MAX_CODE_IDS ids.
 */
import { ServerConnection } from '@jupyterlab/services';

import { VisionLensClient } from '../../../api/client';
import { VisionLensModel } from '../../../model/model';
import { MAX_CODE_IDS } from '../../../model/sorting';
import { IMPORT_LINE } from '../../../model/similarity';
import { SelectionCode } from '../SelectionCode';

function makeModel(): VisionLensModel {
  return new VisionLensModel({
    client: new VisionLensClient(ServerConnection.makeSettings()),
    state: null,
    saveDelay: 0
  });
}

describe('SelectionCode', () => {
  it('shows the session.select call of the selection, with the import line', () => {
    const model = makeModel();
    const view = new SelectionCode(model);
    const shown = () => !(view.node.firstChild as HTMLElement).hidden;
    expect(shown()).toBe(false); // no dataset
    model.setDataset('toy');
    expect(shown()).toBe(false); // nothing selected
    model.setSelection([7, 3]);
    expect(shown()).toBe(true);
    expect(view.text).toBe(
      `${IMPORT_LINE}\nsession = vl.open('toy')\nsession.select([3, 7])`
    );
    expect(view.node.querySelector('code')?.textContent).toBe(view.text);
    expect(view.node.querySelector('.jp-VisionLens-copyCode')).not.toBeNull();
    expect(view.note).toBe('');

    model.setFilter({ sample: { split: { in: ['val'] } } });
    model.selectAllMatching();
    expect(view.text).toBe(
      `${IMPORT_LINE}\nsession = vl.open('toy')\n` +
        "session.select({'sample': {'split': {'in': ['val']}}})"
    );
    model.setFilter({}); // "all matching" follows the filter
    expect(view.text).toContain('session.select({})');

    model.setSelection(Array.from({ length: MAX_CODE_IDS + 1 }, (_, i) => i));
    expect(shown()).toBe(false);
    expect(view.note).toContain('1,001 samples selected: too many ids');
    model.clearSelection();
    expect(shown()).toBe(false);
    expect(view.note).toBe('');
    model.setSelection([1]);
    model.setDataset(null);
    expect(shown()).toBe(false);
    view.dispose();
    model.setDataset('toy');
    model.setSelection([2]);
    expect(view.text).toBe(''); // disconnected
  });
});
