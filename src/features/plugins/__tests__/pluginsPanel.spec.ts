/**
 * The Plugins panel's rendering of a `GET /plugins` answer (typed JSON) and
 * of the lab-side contributions: statuses, versions, hooks, errors as text.
 */
import { ServerConnection } from '@jupyterlab/services';

import { VisionLensClient } from '../../../api/client';
import { VisionLensModel } from '../../../model/model';
import { IPluginsListing } from '../../../model/tokens';
import { PluginsPanel } from '../PluginsPanel';

const LISTING: IPluginsListing = {
  api_version: '1.0',
  supported_api_versions: ['1'],
  plugins: [
    {
      name: 'blur',
      version: '0.2.0',
      api_version: '1.0',
      hooks: ['sample_fields', 'blindspot_attributes'],
      status: 'loaded',
      error: null,
      source: 'entry_point',
      module: 'visionlens_blur.plugin'
    },
    {
      name: 'evil',
      version: '1.0.0',
      api_version: '1.0',
      hooks: [],
      status: 'failed',
      error: 'ValueError: <img src=x onerror=alert(1)> (evil.py:3)',
      source: 'folder',
      module: '/data/plugins/evil.py'
    }
  ]
};

function makePanel(): PluginsPanel {
  const model = new VisionLensModel({
    client: new VisionLensClient(ServerConnection.makeSettings()),
    state: null
  });
  return new PluginsPanel(model);
}

describe('PluginsPanel', () => {
  it('lists the Python plugins with status, hooks and the error as text', () => {
    const panel = makePanel();
    panel.renderPython(LISTING);
    const rows = panel.node.querySelectorAll('.jp-VisionLens-pluginRow');
    expect(
      Array.from(rows).map(r => (r as HTMLElement).dataset.status)
    ).toEqual(['loaded', 'failed']);
    const cells = Array.from(rows[0].querySelectorAll('td')).map(
      td => td.textContent
    );
    expect(cells).toEqual([
      'blur',
      '0.2.0',
      '1.0',
      'sample_fields, blindspot_attributes',
      'package',
      'loaded'
    ]);
    const error = rows[1].querySelector('.jp-VisionLens-pluginError');
    expect(error?.textContent).toBe(LISTING.plugins[1].error);
    expect(panel.node.querySelector('img')).toBeNull();
    expect(
      panel.node.querySelector('.jp-VisionLens-pluginsSummary')?.textContent
    ).toBe('Plugin API 1.0 (loads major versions 1): 2 plugins, 1 failed');
  });

  it('lists lab contributions with their errors, and follows the registry', () => {
    const panel = makePanel();
    const lab = () =>
      Array.from(panel.node.querySelectorAll('.jp-VisionLens-contributionRow'));
    expect(lab()).toHaveLength(0);
    const handle = panel.model.extensions.addTileOverlay({
      id: 'badge',
      owner: 'ext-a',
      render: () => {
        throw new Error('broken badge');
      }
    });
    expect(lab().map(r => r.textContent)).toEqual([
      'ext-agrid tile overlaybadgenone'
    ]);
    const spy = jest
      .spyOn(console, 'error')
      .mockImplementation(() => undefined);
    const [overlay] = panel.model.extensions.tileOverlays;
    panel.model.extensions.invoke('tileOverlay', overlay, () =>
      overlay.render({} as any)
    );
    spy.mockRestore();
    expect(lab()[0].querySelectorAll('td')[3].textContent).toBe(
      '1: broken badge'
    );
    handle.dispose();
    expect(lab()).toHaveLength(0);
  });
});
