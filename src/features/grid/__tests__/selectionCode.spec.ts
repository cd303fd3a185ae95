/**
 * The grid's selection as code follows the model, with the server's text
 * (`POST /selection-code`, a real Jupyter server): the ids, the filter form
 * for "all matching", a note instead of code past the server's limit, only
 * the last of quick changes asked for, and never more ids than the limit + 1.
 */
import { VisionLensClient } from '../../../api/client';
import { SelectionCodeRequest } from '../../../api/types';
import { VisionLensModel } from '../../../model/model';
import { IMPORT_LINE } from '../../../model/similarity';
import { ITestServer, startServer } from '../../../__tests__/jupyterServer';
import { SelectionCode } from '../SelectionCode';

/** The real client, keeping the bodies it posts to `selection-code`. */
class RecordingClient extends VisionLensClient {
  readonly posted: SelectionCodeRequest[] = [];

  selectionCode(
    dataset: string,
    body: SelectionCodeRequest,
    signal?: AbortSignal
  ): ReturnType<VisionLensClient['selectionCode']> {
    this.posted.push(body);
    return super.selectionCode(dataset, body, signal);
  }
}

describe('SelectionCode on a real server', () => {
  let server: ITestServer;

  beforeAll(async () => {
    server = await startServer();
  }, 120000);

  afterAll(async () => {
    await server?.stop();
  }, 30000);

  it('shows the server’s session.select call of the selection', async () => {
    const client = new RecordingClient(server.settings);
    const model = new VisionLensModel({ client, state: null, saveDelay: 0 });
    const view = new SelectionCode(model);
    const shown = () => !(view.node.firstChild as HTMLElement).hidden;
    await view.settled();
    expect(shown()).toBe(false); // no dataset
    model.setDataset('toy');
    await view.settled();
    expect(shown()).toBe(false); // nothing selected
    expect(client.posted).toEqual([]);

    model.setSelection([7, 3]);
    await view.settled();
    expect(shown()).toBe(true);
    expect(view.text).toBe(
      `${IMPORT_LINE}\nsession = vl.open('toy')\nsession.select([3, 7])`
    );
    expect(view.node.querySelector('code')?.textContent).toBe(view.text);
    expect(view.node.querySelector('.jp-VisionLens-copyCode')).not.toBeNull();
    expect(view.note).toBe('');

    model.setFilter({ sample: { split: { in: ['val'] } } });
    model.selectAllMatching();
    await view.settled();
    expect(view.text).toBe(
      `${IMPORT_LINE}\nsession = vl.open('toy')\n` +
        "session.select({'sample': {'split': {'in': ['val']}}})"
    );
    model.setFilter({}); // "all matching" follows the filter
    await view.settled();
    expect(view.text).toContain('session.select({})');

    // quick changes: only the selection that stayed is asked for
    client.posted.length = 0;
    model.setSelection([1]);
    model.setSelection([1, 2]);
    model.setSelection([2, 1, 5]);
    await view.settled();
    expect(client.posted).toEqual([{ ids: [2, 1, 5] }]);
    expect(view.text).toContain('session.select([1, 2, 5])');

    // a large selection: the limit's ids + 1 posted, a note instead of code
    client.posted.length = 0;
    model.setSelection(Array.from({ length: 50000 }, (_, i) => i));
    await view.settled();
    expect(shown()).toBe(false);
    expect(view.note).toContain('50,000 samples selected: too many ids');
    expect(view.note).toContain('(at most 1,000)');
    expect(client.posted.map(b => ('ids' in b ? b.ids.length : -1))).toEqual([
      1001
    ]);

    model.clearSelection();
    await view.settled();
    expect(shown()).toBe(false);
    expect(view.note).toBe('');
    model.setSelection([1]);
    model.setDataset(null);
    await view.settled();
    expect(shown()).toBe(false);
    view.dispose();
    model.setDataset('toy');
    model.setSelection([2]);
    await view.settled();
    expect(view.text).toBe(''); // disconnected
  }, 60000);
});
