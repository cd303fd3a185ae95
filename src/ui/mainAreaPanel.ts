/**
 * What every VisionLens main-area panel plugin does alike: one command that
 * creates the panel once (a MainAreaWidget around the plugin's content), adds
 * it to the shell where it belongs and activates it; a tracker so that the
 * layout restorer reopens it with the same command; a palette item.
 *
 * The command's arguments `mode`, `ref` and `activate: false` open the panel
 * beside another widget without taking the focus from it (the notebook bridge
 * shows the grid beside the notebook that ran `vl.open()`).
 */
import { ILayoutRestorer, JupyterFrontEnd } from '@jupyterlab/application';
import {
  ICommandPalette,
  MainAreaWidget,
  WidgetTracker
} from '@jupyterlab/apputils';
import { LabIcon } from '@jupyterlab/ui-components';
import { CommandRegistry } from '@lumino/commands';
import { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import { DockPanel, Widget } from '@lumino/widgets';

/** How the shell opens a panel in the main area (JupyterLab's open modes). */
export type PanelMode = 'split-right' | 'tab-after';

const PANEL_MODES: readonly string[] = ['split-right', 'tab-after'];

/** Options of {@link addMainAreaPanel}. */
export interface IMainAreaPanelOptions<T extends Widget> {
  /** The tracker's namespace; the panel's DOM id is `${namespace}-main`. */
  namespace: string;
  /** The command that opens the panel (and, through the restorer, reopens it). */
  command: string;
  /** The command's label, caption and icon. */
  label: CommandRegistry.CommandFunc<string> | string;
  caption?: string;
  icon?: LabIcon;
  /**
   * Creates the panel's content (once per panel: it is reused until closed);
   * the tab shows the content's title (label, caption, icon) and follows it.
   */
  create: () => T;
  /** Hide the MainAreaWidget's (empty) toolbar. */
  hideToolbar?: boolean;
  /** Where the panel opens (default: a tab of the main area). */
  mode?: PanelMode;
  /** Runs before the panel is created or shown, with the command's arguments. */
  prepare?: (args: ReadonlyPartialJSONObject) => Promise<void> | void;
  /** Runs after the panel is shown, with the command's arguments. */
  update?: (
    panel: MainAreaWidget<T>,
    args: ReadonlyPartialJSONObject
  ) => Promise<void> | void;
  /** The restorer's name of the panel and the arguments it reopens it with. */
  restore: {
    name: string;
    args?: (panel: MainAreaWidget<T>) => ReadonlyPartialJSONObject;
  };
  palette?: ICommandPalette | null;
  restorer?: ILayoutRestorer | null;
}

/** A panel added by {@link addMainAreaPanel}. */
export interface IMainAreaPanel<T extends Widget> {
  readonly tracker: WidgetTracker<MainAreaWidget<T>>;
  /** The panel, or null while none is open. */
  readonly current: MainAreaWidget<T> | null;
}

/**
 * Add the command, tracker, restorer entry and palette item of a main-area
 * panel; the command returns the panel.
 */
export function addMainAreaPanel<T extends Widget>(
  app: JupyterFrontEnd,
  options: IMainAreaPanelOptions<T>
): IMainAreaPanel<T> {
  const tracker = new WidgetTracker<MainAreaWidget<T>>({
    namespace: options.namespace
  });
  let panel: MainAreaWidget<T> | null = null;

  const create = (): MainAreaWidget<T> => {
    const content = options.create();
    const created = new MainAreaWidget({ content });
    created.id = `${options.namespace}-main`;
    if (options.hideToolbar) {
      created.toolbar.hide();
    }
    const follow = () => {
      created.title.label = content.title.label;
      created.title.caption = content.title.caption;
      created.title.icon = content.title.icon ?? options.icon;
    };
    follow();
    content.title.changed.connect(follow);
    void tracker.add(created);
    return created;
  };

  app.commands.addCommand(options.command, {
    label: options.label,
    caption: options.caption,
    icon: options.icon,
    execute: async args => {
      await options.prepare?.(args);
      if (!panel || panel.isDisposed) {
        panel = create();
      }
      const given = String(args.mode);
      const mode = PANEL_MODES.includes(given)
        ? (given as PanelMode)
        : options.mode;
      const ref = typeof args.ref === 'string' ? args.ref : undefined;
      const activate = args.activate !== false;
      if (!panel.isAttached) {
        app.shell.add(panel, 'main', { mode, ref, activate });
      } else if (activate) {
        app.shell.activateById(panel.id);
      } else {
        reveal(app, panel, mode, ref);
      }
      await options.update?.(panel, args);
      return panel;
    }
  });
  options.palette?.addItem({
    command: options.command,
    category: 'VisionLens'
  });
  const { restore } = options;
  void options.restorer?.restore(tracker, {
    command: options.command,
    args: panel => (restore.args ? restore.args(panel) : {}),
    name: () => restore.name
  });

  return {
    tracker,
    get current() {
      return panel && !panel.isDisposed ? panel : null;
    }
  };
}

/**
 * Make an open panel visible without activating it: the current tab of its
 * tab area, or, when it shares a tab area with `ref` (showing it would hide
 * `ref`), moved beside `ref` as `mode` says. In single-document mode only one
 * widget shows at a time, so `ref` stays in front.
 */
function reveal(
  app: JupyterFrontEnd,
  panel: Widget,
  mode: PanelMode | undefined,
  ref: string | undefined
): void {
  const dock = panel.parent;
  if (!(dock instanceof DockPanel)) {
    return;
  }
  const sharesTabs =
    ref !== undefined &&
    [...dock.tabBars()].some(
      bar =>
        bar.titles.includes(panel.title) &&
        bar.titles.some(title => title.owner.id === ref)
    );
  if (!sharesTabs) {
    dock.selectWidget(panel);
  } else if (dock.mode === 'multiple-document' && mode) {
    app.shell.add(panel, 'main', { mode, ref, activate: false });
  }
}
