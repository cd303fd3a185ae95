/**
 * Panel toolbars: JupyterLab's `ReactiveToolbar`, which moves the items it
 * has no room for into its "…" menu, and the few pieces every panel builds
 * it from (a labelled button, a command button, an item wrapping controls).
 *
 * The panels build their DOM by hand (no Lumino layout), so a toolbar is
 * embedded with {@link embedWidget}: attached, shown and hidden with its
 * owner.
 */
import {
  CommandToolbarButton,
  ReactiveToolbar,
  Toolbar,
  ToolbarButton
} from '@jupyterlab/ui-components';
import { CommandRegistry } from '@lumino/commands';
import { ReadonlyJSONObject } from '@lumino/coreutils';
import { Message, MessageHook, MessageLoop } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

/** After a width change, how long until the items are placed once more (ms). */
const RELAYOUT_AGAIN_MS = 600;

/**
 * How many more placements a toolbar tries while its items still overflow:
 * each waits half as long again as the one before, up to `RELAYOUT_MAX_MS`
 * (24 tries: about two and a half minutes, for a machine busy long after a
 * resize).
 */
const RELAYOUT_TRIES = 24;

/** The longest wait between two placements (ms). */
const RELAYOUT_MAX_MS = 8000;

/** A toolbar that overflows into a "…" menu instead of cutting its labels. */
export class OverflowToolbar extends ReactiveToolbar {
  constructor(className?: string) {
    super();
    this.addClass('jp-VisionLens-toolbar');
    if (className) {
      this.addClass(className);
    }
    // ReactiveToolbar re-places its items on a resize message of known
    // width, which only box and split layouts send: a side panel or a
    // hand-built header changes width without one.
    this._observer = new ResizeObserver(() => this._relayout());
    this._observer.observe(this.node);
    // An item that renders late (React, a busy machine) may grow past the
    // bar's edge after the placements above: place again then (later, never
    // inside the observer's own callback, where moving items would loop it).
    this._items = new ResizeObserver(() => {
      if (this._placeable() && this._overflows()) {
        this._placeLater(RELAYOUT_TRIES);
      }
    });
  }

  /** Add items at the end, in order; returns the toolbar. */
  add(...items: [name: string, item: Widget][]): this {
    for (const [name, item] of items) {
      this.addItem(name, item);
      this._items.observe(item.node);
    }
    return this;
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._listen(false);
    this._observer.disconnect();
    this._items.disconnect();
    window.clearTimeout(this._again);
    super.dispose();
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    this._listen(true);
  }

  protected onBeforeDetach(msg: Message): void {
    this._listen(false);
    this.popupOpener.hidePopup();
    super.onBeforeDetach(msg);
  }

  /**
   * JupyterLab's "…" menu closes only on a second click of its button: this
   * one also closes on Escape and on a press anywhere outside it, as menus do.
   * Window-level capture listeners, so that the Escape that closes the menu is
   * not also the keybinding that closes the view beneath it.
   */
  private _listen(on: boolean): void {
    if (on) {
      window.addEventListener('pointerdown', this._onPointerDown, true);
      window.addEventListener('keydown', this._onKeyDown, true);
    } else {
      window.removeEventListener('pointerdown', this._onPointerDown, true);
      window.removeEventListener('keydown', this._onKeyDown, true);
    }
  }

  private _onPointerDown = (event: PointerEvent): void => {
    const menu = this._openMenu();
    const target = event.target;
    if (
      menu &&
      target instanceof Node &&
      !menu.contains(target) &&
      !this.popupOpener.node.contains(target)
    ) {
      this.popupOpener.hidePopup();
    }
  };

  private _onKeyDown = (event: KeyboardEvent): void => {
    if (event.key === 'Escape' && this._openMenu()) {
      this.popupOpener.hidePopup();
      event.stopPropagation();
      event.preventDefault();
    }
  };

  /** The "…" menu's node while it is open (it lives in the body), else null. */
  private _openMenu(): HTMLElement | null {
    const opener = this.popupOpener;
    const first = opener.widgetCount() > 0 ? opener.widgetAt(0) : undefined;
    const menu = first?.node.closest<HTMLElement>(
      '.jp-Toolbar-responsive-popup'
    );
    return menu && !menu.classList.contains('lm-mod-hidden') ? menu : null;
  }

  /**
   * Let ReactiveToolbar place the items for the current width. It drops a
   * request made while it is still measuring (its items render
   * asynchronously, slowly on a busy machine), so the request is made once
   * more when that is over, and again while items still stick out.
   */
  private _relayout(): void {
    if (this._placeable()) {
      this._place();
      this._placeLater(RELAYOUT_TRIES);
    }
  }

  private _placeLater(tries: number, wait = RELAYOUT_AGAIN_MS): void {
    window.clearTimeout(this._again);
    this._again = window.setTimeout(() => {
      if (!this._placeable()) {
        return;
      }
      const overflowing = this._overflows();
      this._place();
      if (overflowing && tries > 1) {
        this._placeLater(tries - 1, Math.min(wait * 1.5, RELAYOUT_MAX_MS));
      }
    }, wait);
  }

  private _placeable(): boolean {
    return !this.isDisposed && this.isVisible && this.node.clientWidth > 0;
  }

  private _place(): void {
    MessageLoop.sendMessage(
      this,
      new Widget.ResizeMessage(this.node.clientWidth, -1)
    );
  }

  /**
   * Whether an item shown in the bar ends past its right edge, or has wrapped
   * onto a second row (the bar wraps: a placement dropped while items were
   * still rendering leaves them on several rows, none past the edge).
   */
  private _overflows(): boolean {
    const right = this.node.getBoundingClientRect().right + 0.5;
    const shown = Array.from(this.node.children)
      .map(item => item.getBoundingClientRect())
      .filter(box => box.width > 0);
    const firstRowEnd = shown.length ? shown[0].bottom : 0;
    return shown.some(box => box.right > right || box.top >= firstRowEnd);
  }

  private _observer: ResizeObserver;
  private _items: ResizeObserver;
  private _again = 0;
}

/** What a labelled toolbar button does. */
export interface ITextButtonOptions {
  /** The button's text (never cut: the button moves to the "…" menu). */
  label: string;
  /** Class of the item (tests and styles find the button by it). */
  className: string;
  onClick: () => unknown;
  tooltip?: string;
}

/** A toolbar button showing a text label. */
export function textButton(options: ITextButtonOptions): ToolbarButton {
  const button = new ToolbarButton({
    label: options.label,
    tooltip: options.tooltip ?? options.label,
    onClick: () => void options.onClick(),
    noFocusOnClick: true
  });
  button.addClass(options.className);
  return button;
}

/** What a command button shows instead of the command's own label. */
export interface ICommandButtonOptions {
  /** Short text in the toolbar (the command's label is its palette name). */
  label?: string;
  /** Class of the item (tests and styles find the button by it). */
  className: string;
  args?: ReadonlyJSONObject;
}

/**
 * A toolbar button running a command: enabled as the command is (after its
 * `notifyCommandChanged`), its keybinding shown in the tooltip. Like every
 * button here it leaves the focus where it was (so keys still reach the
 * panel after a click).
 */
export function commandButton(
  commands: CommandRegistry,
  id: string,
  options: ICommandButtonOptions
): CommandToolbarButton {
  const button = new CommandToolbarButton({
    commands,
    id,
    args: options.args,
    label: options.label,
    noFocusOnClick: true
  });
  button.addClass(options.className);
  return button;
}

/** A toolbar item holding controls or text (inputs, counts, toggles). */
export function toolbarItem(
  className: string,
  ...children: (Node | string)[]
): Widget {
  const item = new Widget();
  item.addClass('jp-VisionLens-toolbarItem');
  item.addClass(className);
  item.node.append(...children);
  // The toolbar moves the focus between its items on arrow keys: in a text
  // field or a slider they move the caret or the value instead.
  item.node.addEventListener('keydown', event => {
    const target = event.target as HTMLElement;
    if (
      event.key.startsWith('Arrow') &&
      (target instanceof HTMLInputElement ||
        target instanceof HTMLSelectElement)
    ) {
      event.stopPropagation();
    }
  });
  return item;
}

/** A flexible gap pushing the next items to the end of the toolbar. */
export function toolbarSpacer(): Widget {
  return Toolbar.createSpacerItem();
}

/** Messages a hand-built owner passes on to the widgets it embeds. */
const FORWARDED = new Set([
  'before-attach',
  'after-attach',
  'before-detach',
  'after-detach',
  'before-show',
  'after-show',
  'before-hide',
  'after-hide'
]);

/**
 * Make `child` a child of `owner`, a widget that builds its DOM by hand (no
 * layout): the caller puts `child.node` where it belongs; `child` is then
 * attached, shown and hidden with `owner`, as a layout would do, until it is
 * disposed (which also takes its node out of the DOM).
 */
export function embedWidget(owner: Widget, child: Widget): void {
  const hook: MessageHook = (_, msg: Message) => {
    if (FORWARDED.has(msg.type)) {
      MessageLoop.sendMessage(child, msg);
    }
    return true;
  };
  // A parent makes `isVisible` follow the owner (ReactiveToolbar reads it,
  // and only places its items while its parent is attached).
  child.parent = owner;
  MessageLoop.installMessageHook(owner, hook);
  if (owner.isAttached) {
    // Embedded after the owner was attached (a re-rendered part).
    MessageLoop.sendMessage(child, Widget.Msg.BeforeAttach);
    MessageLoop.sendMessage(child, Widget.Msg.AfterAttach);
  }
  child.disposed.connect(() => {
    MessageLoop.removeMessageHook(owner, hook);
    child.node.remove();
  });
}
