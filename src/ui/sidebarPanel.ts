/**
 * A panel of the right sidebar that loads its data: made on demand (again
 * once disposed), restored with the layout, opened by a palette command that
 * shows and reloads it, and loaded once the model's state is restored. The
 * blind-spots, quality and selection plugins each declare only what differs.
 */
import { ILayoutRestorer, JupyterFrontEnd } from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

import { openLabel, PanelId, PANELS } from './panelNames';

/** A sidebar panel whose `load()` fetches what it shows. */
export interface ILoadingPanel extends Widget {
  load(): Promise<void>;
}

/** What one sidebar panel's plugin declares. */
export interface ISidebarPanelOptions<P extends ILoadingPanel> {
  /** The panel's name, icon and open-command label (`ui/panelNames.ts`). */
  name: PanelId;
  /** The command that opens it. */
  command: string;
  /** The command's caption. */
  caption: string;
  /** Its place among the right sidebar's tabs. */
  rank: number;
  /** A new panel (called again after the last one was disposed). */
  create: () => P;
  /** Resolves when the persisted state has been restored (the model's). */
  restored: Promise<void>;
  restorer: ILayoutRestorer | null;
  palette: ICommandPalette | null;
}

/**
 * Add the panel `options` declares; answers the panel now (null until made),
 * for settings that change after it was made.
 */
export function addSidebarPanel<P extends ILoadingPanel>(
  app: JupyterFrontEnd,
  options: ISidebarPanelOptions<P>
): () => P | null {
  let panel: P | null = null;
  const ensurePanel = (): P => {
    if (!panel || panel.isDisposed) {
      panel = options.create();
      panel.addClass('jp-VisionLens-sidePanel');
      app.shell.add(panel, 'right', { rank: options.rank });
      options.restorer?.add(panel, panel.id);
    }
    return panel;
  };
  app.commands.addCommand(options.command, {
    label: openLabel(options.name),
    caption: options.caption,
    icon: PANELS[options.name].icon,
    execute: async () => {
      await options.restored;
      const p = ensurePanel();
      app.shell.activateById(p.id);
      await p.load();
      return p;
    }
  });
  void options.restored.then(() => void ensurePanel().load());
  options.palette?.addItem({
    command: options.command,
    category: 'VisionLens'
  });
  return () => panel;
}
