/**
 * The Plugins panel: the server's Python plugins (name, version, plugin API
 * version, hooks, status, and the error of one that failed, as text) and the
 * lab-side contributions other extensions registered on `model.extensions`.
 */
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { nameTab } from '../../ui/panelNames';
import { button, h } from '../../base/dom';
import { listPlugins } from '../../model/sources/plugins';
import { ownValue } from '../../base/dataText';
import {
  IContributionInfo,
  IPluginsListing,
  IPythonPlugin,
  IVisionLensModel
} from '../../model/tokens';

const KIND_LABELS: { [kind: string]: string } = {
  tileOverlay: 'grid tile overlay',
  sampleSection: 'sample-view section',
  mapColorScheme: 'map colour scheme'
};

/** The panel (main area); it lists the plugins again on every show. */
export class PluginsPanel extends Widget {
  constructor(model: IVisionLensModel) {
    super();
    this.model = model;
    this.id = 'visionlens-plugins';
    this.addClass('jp-VisionLens-plugins');
    nameTab(this.title, 'plugins');
    this.title.closable = true;
    this._python = h('div', { className: 'jp-VisionLens-pythonPlugins' });
    this._lab = h('div', { className: 'jp-VisionLens-labContributions' });
    this._summary = h('div', { className: 'jp-VisionLens-pluginsSummary' });
    this.node.append(
      h(
        'div',
        { className: 'jp-VisionLens-panelHeader' },
        h('div', { className: 'jp-VisionLens-panelTitle', text: 'Plugins' }),
        h('span', { className: 'jp-VisionLens-spacer' }),
        button('Refresh', 'jp-VisionLens-pluginsRefresh', () => this.refresh())
      ),
      h('h3', { text: 'Python plugins (server)' }),
      this._summary,
      this._python,
      h('h3', {
        text: `Lab extensions (registry API ${model.extensions.apiVersion})`
      }),
      this._lab
    );
    model.extensions.changed.connect(this._renderLab, this);
    model.extensions.failed.connect(this._renderLab, this);
    this._renderLab();
  }

  readonly model: IVisionLensModel;

  /** List the server's plugins again. */
  async refresh(): Promise<void> {
    this._ctl?.abort();
    const ctl = (this._ctl = new AbortController());
    this._summary.textContent = 'Loading…';
    try {
      const listing = await listPlugins(this.model, ctl.signal);
      if (!ctl.signal.aborted) {
        this.renderPython(listing);
      }
    } catch (error) {
      if ((error as Error).name !== 'AbortError') {
        this._python.replaceChildren();
        this._summary.textContent = `Could not list the plugins: ${(error as Error).message}`;
      }
    }
  }

  /** Show a `GET /plugins` answer. */
  renderPython(listing: IPluginsListing): void {
    const failed = listing.plugins.filter(p => p.status === 'failed').length;
    this._summary.textContent =
      `Plugin API ${listing.api_version} (loads major versions ` +
      `${listing.supported_api_versions.join(', ')}): ` +
      `${listing.plugins.length} plugin${listing.plugins.length === 1 ? '' : 's'}` +
      (failed ? `, ${failed} failed` : '');
    this._python.replaceChildren(
      listing.plugins.length
        ? pythonTable(listing.plugins)
        : h('div', {
            className: 'jp-VisionLens-message',
            text: 'No Python plugin is installed.'
          })
    );
  }

  protected onAfterAttach(msg: Message): void {
    void this.refresh();
  }

  protected onAfterShow(msg: Message): void {
    void this.refresh();
  }

  private _renderLab(): void {
    const items = this.model.extensions.contributions();
    this._lab.replaceChildren(
      items.length
        ? labTable(items)
        : h('div', {
            className: 'jp-VisionLens-message',
            text: 'No lab extension has registered anything.'
          })
    );
  }

  private _python: HTMLDivElement;
  private _lab: HTMLDivElement;
  private _summary: HTMLDivElement;
  private _ctl: AbortController | null = null;
}

function table(head: string[], rows: HTMLTableRowElement[]): HTMLElement {
  return h(
    'table',
    { className: 'jp-VisionLens-table jp-VisionLens-pluginsTable' },
    h('thead', {}, h('tr', {}, ...head.map(text => h('th', { text })))),
    h('tbody', {}, ...rows)
  );
}

/** Every plugin string is the server's text: textContent only. */
function pythonTable(plugins: IPythonPlugin[]): HTMLElement {
  return table(
    ['Name', 'Version', 'API', 'Hooks', 'Source', 'Status'],
    plugins.map(p => {
      const status = h(
        'td',
        { className: 'jp-VisionLens-pluginStatus' },
        h('span', {
          className: `jp-VisionLens-status jp-mod-${p.status}`,
          text: p.status
        })
      );
      if (p.error) {
        status.appendChild(
          h('pre', { className: 'jp-VisionLens-pluginError', text: p.error })
        );
      }
      const row = h(
        'tr',
        { className: 'jp-VisionLens-pluginRow' },
        h('td', { text: p.name, title: p.module }),
        h('td', { text: p.version }),
        h('td', { text: p.api_version }),
        h('td', { text: p.hooks.join(', ') }),
        h('td', { text: p.source === 'folder' ? 'folder' : 'package' }),
        status
      );
      row.dataset.plugin = p.name;
      row.dataset.status = p.status;
      return row;
    })
  );
}

function labTable(items: IContributionInfo[]): HTMLElement {
  return table(
    ['Extension', 'Kind', 'Id', 'Errors'],
    items.map(c => {
      const row = h(
        'tr',
        { className: 'jp-VisionLens-contributionRow' },
        h('td', { text: c.owner }),
        h('td', { text: ownValue(KIND_LABELS, c.kind) ?? c.kind }),
        h('td', { text: c.id }),
        h('td', {
          text: c.errors ? `${c.errors}: ${c.lastError ?? ''}` : 'none'
        })
      );
      row.dataset.contribution = c.id;
      return row;
    })
  );
}
