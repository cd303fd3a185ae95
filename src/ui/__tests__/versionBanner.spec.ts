/**
 * The browsed version's banner in every view that reads the version: the
 * grid's (a banner of its own here) and the sample view's, in its tab and
 * over the grid; all show the version while it is browsed, and "Back to
 * current" in any one of them returns every view to the current labels.
 */
import { ServerConnection } from '@jupyterlab/services';
import { CommandRegistry } from '@lumino/commands';
import { Widget } from '@lumino/widgets';

import { VisionLensClient } from '../../api/client';
import { SampleOverlay } from '../../features/sample/SampleOverlay';
import { SampleView } from '../../features/sample/SampleView';
import { VisionLensModel } from '../../model/model';
import { CommandIDs, ILabelVersion } from '../../model/tokens';
import { versionBrowse } from '../../model/versionBrowse';
import { VersionBanner } from '../VersionBanner';

const V2: ILabelVersion = {
  version: 2,
  created_at: '2026-11-01T10:00:00Z',
  message: 'before the relabel',
  samples: 20,
  annotations: 50,
  seq: 7,
  user: 'ana'
};

describe('the version banner', () => {
  it('shows in the grid and the sample views; back from any returns all', () => {
    const client = new VisionLensClient(ServerConnection.makeSettings());
    const model = new VisionLensModel({ client, state: null, events: null });
    model.setDataset('pets');
    const commands = new CommandRegistry();
    for (const id of Object.values(CommandIDs)) {
      commands.addCommand(id, { execute: () => undefined });
    }
    const grid = new Widget();
    grid.node.append(new VersionBanner(model).node);
    Widget.attach(grid, document.body);
    const tab = new SampleView(model, commands);
    Widget.attach(tab, document.body);
    const overlay = new SampleOverlay(
      grid,
      new SampleView(model, commands),
      commands
    );
    const views = [grid.node, tab.node, overlay.view.node];
    const banners = () =>
      views.map(node => {
        const banner = node.querySelector('.jp-VisionLens-versionBanner');
        return banner && !banner.classList.contains('lm-mod-hidden')
          ? banner.textContent
          : null;
      });

    expect(banners()).toEqual([null, null, null]);
    const browse = versionBrowse(model);
    browse.browse('pets', V2);
    for (const text of banners()) {
      expect(text).toContain('Version 2 (read-only) · before the relabel');
      expect(text).toContain('Back to current');
    }

    // "Back to current" in the sample view over the grid
    const back = overlay.view.node.querySelector(
      '.jp-VisionLens-versionBack'
    ) as HTMLButtonElement;
    back.click();
    expect(browse.isBrowsing).toBe(false);
    expect(banners()).toEqual([null, null, null]);
    // the same from the sample tab's
    browse.browse('pets', V2);
    (
      tab.node.querySelector('.jp-VisionLens-versionBack') as HTMLButtonElement
    ).click();
    expect(browse.isBrowsing).toBe(false);
    expect(banners()).toEqual([null, null, null]);
  });
});
