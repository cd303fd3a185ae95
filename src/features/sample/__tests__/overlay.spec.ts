/**
 * The sample view over another panel (`SampleOverlay`) against a real
 * Jupyter server: hidden until opened, it shows the sample asked for, steps
 * through the rows of the view query in its sort (→ past the last row stays),
 * says on closing which row it showed last (what the grid focuses), keeps the
 * focus when its host is activated or a write reloads it, and goes with its host.
 */
import { CommandRegistry } from '@lumino/commands';
import { Message, MessageLoop } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { VisionLensClient } from '../../../api/client';
import { ITestServer, startServer } from '../../../__tests__/jupyterServer';
import { ingestPets } from '../../../__tests__/petsDataset';
import { VisionLensModel } from '../../../model/model';
import { CommandIDs } from '../../../model/tokens';
import { SampleOverlay } from '../SampleOverlay';
import { SampleView } from '../SampleView';

/** A host panel that counts the activations it handled itself. */
class Host extends Widget {
  activated = 0;
  protected onActivateRequest(msg: Message): void {
    this.activated += 1;
  }
}

describe('the sample view over a panel', () => {
  let server: ITestServer;
  let model: VisionLensModel;
  /** Sample ids by file name. */
  const ids = new Map<string, number>();

  beforeAll(async () => {
    server = await startServer();
    const client = new VisionLensClient(server.settings);
    await ingestPets(client, server.dir);
    model = new VisionLensModel({ client, state: null, saveDelay: 0 });
    model.setDataset('pets');
    const page = await client.querySamples(
      'pets',
      {},
      { offset: 0, limit: 10 }
    );
    for (const s of page.samples) {
      ids.set(s.file_name, s.sample_id);
    }
  }, 120000);

  afterAll(async () => {
    await server?.stop();
  });

  function overHost(): { host: Host; overlay: SampleOverlay } {
    const host = new Host();
    Widget.attach(host, document.body);
    // The view's buttons and editing name the plugin's commands.
    const commands = new CommandRegistry();
    for (const id of Object.values(CommandIDs)) {
      if (id.startsWith('visionlens:sample-')) {
        commands.addCommand(id, { execute: () => undefined });
      }
    }
    const overlay = new SampleOverlay(
      host,
      new SampleView(model, commands),
      commands
    );
    return { host, overlay };
  }

  const shown = (overlay: SampleOverlay) => ({
    name: overlay.view.sample?.file_name,
    index: overlay.view.index
  });

  it('steps through the view in its sort and closes on the row shown last', async () => {
    model.setSort({ field: 'file_name', order: 'desc' }); // img2, img1
    const { host, overlay } = overHost();
    expect(host.node.contains(overlay.node)).toBe(true);
    expect(overlay.isOpen).toBe(false);
    expect(overlay.isHidden).toBe(true);

    await overlay.open(ids.get('img2.png') as number, 0);
    expect(overlay.isOpen).toBe(true);
    expect(overlay.view.isVisible).toBe(true);
    expect(document.activeElement).toBe(overlay.view.node);
    expect(shown(overlay)).toEqual({ name: 'img2.png', index: 0 });

    await overlay.step(1);
    expect(shown(overlay)).toEqual({ name: 'img1.png', index: 1 });
    await overlay.step(1); // past the last row: stays
    expect(shown(overlay)).toEqual({ name: 'img1.png', index: 1 });
    await overlay.step(-1);
    await overlay.step(1);
    expect(shown(overlay)).toEqual({ name: 'img1.png', index: 1 });

    expect(overlay.close()).toBe(1);
    expect(overlay.isOpen).toBe(false);
    expect(overlay.view.isVisible).toBe(false);
    host.dispose();
  }, 60000);

  it('finds the row of a sample opened without one (unsorted view)', async () => {
    model.setSort({ field: '', order: 'asc' }); // ingest order: img1, img2
    const { host, overlay } = overHost();
    await overlay.open(ids.get('img2.png') as number, null);
    expect(shown(overlay)).toEqual({ name: 'img2.png', index: 1 });
    await overlay.step(-1);
    expect(shown(overlay)).toEqual({ name: 'img1.png', index: 0 });
    host.dispose();
  }, 60000);

  it('keeps a focused field control focused when a write reloads the sample', async () => {
    const { host, overlay } = overHost();
    await overlay.open(ids.get('img1.png') as number, null);
    const label = 'Show split on grid tiles';
    const pin = () =>
      overlay.view.node.querySelector<HTMLInputElement>(
        `input[aria-label="${label}"]`
      );
    const before = pin();
    before?.focus();
    expect(document.activeElement).toBe(before);

    model.notifyDataChanged({ dataset: 'pets', kind: 'tags', ids: null });
    for (let i = 0; i < 200 && pin() === before; i++) {
      await new Promise(resolve => setTimeout(resolve, 25));
    }
    expect(pin()).not.toBe(before); // the tables were drawn again
    expect(document.activeElement).toBe(pin());
    host.dispose();
  }, 60000);

  it('keeps the focus when its host is activated, and goes with the host', async () => {
    const { host, overlay } = overHost();
    MessageLoop.sendMessage(host, Widget.Msg.ActivateRequest);
    expect(host.activated).toBe(1); // closed: the host handles it

    await overlay.open(ids.get('img1.png') as number, null);
    host.node.focus();
    MessageLoop.sendMessage(host, Widget.Msg.ActivateRequest);
    expect(host.activated).toBe(1);
    expect(document.activeElement).toBe(overlay.view.node);

    host.dispose();
    expect(overlay.isDisposed).toBe(true);
    expect(overlay.view.isDisposed).toBe(true);
  }, 60000);
});
