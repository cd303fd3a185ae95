/**
 * The sample view as an overlay over another panel (the grid: FiftyOne's
 * modal). It holds a `SampleView` (the same view as the sample tab: stage,
 * labels, tables, editing) on top of its host's content; ←/→ step through
 * the rows of the view query (the grid's order, one row asked at a time, so
 * across the grid's pages), and closing it tells which row was shown last so
 * that the host can focus that tile.
 */
import { CommandRegistry } from '@lumino/commands';
import { Message, MessageHook, MessageLoop } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { CommandIDs } from '../../model/tokens';
import { h } from '../../base/dom';
import { commandButton } from '../../ui/toolbar';
import { SampleView } from './SampleView';

/** What the host passes on to the overlay (what a layout would send)... */
const ATTACHING = new Set([
  'before-attach',
  'after-attach',
  'before-detach',
  'after-detach'
]);
/** ...and, while it is open, to the view in it. */
const SHOWING = new Set([
  'before-show',
  'after-show',
  'before-hide',
  'after-hide',
  'resize'
]);

/** A sample view over `host` (hidden until opened); disposed with its host. */
export class SampleOverlay extends Widget {
  constructor(
    readonly host: Widget,
    readonly view: SampleView,
    commands: CommandRegistry
  ) {
    super();
    this.id = 'visionlens-sample-overlay';
    this.addClass('jp-VisionLens-sampleOverlay');
    this.node.setAttribute('role', 'dialog');
    this.node.setAttribute('aria-label', 'Sample');
    // Its own DOM id: a sample tab may be open beside it.
    view.id = 'visionlens-sample-overlaid';
    const close = commandButton(commands, CommandIDs.sampleClose, {
      label: 'Back to the grid',
      className: 'jp-VisionLens-sampleOverlayClose'
    });
    this.node.append(
      h('div', { className: 'jp-VisionLens-sampleOverlayBar' }, close.node),
      view.node
    );
    this._children = [close, view];
    for (const child of this._children) {
      child.parent = this;
    }
    this.hide();
    // Parts of the host's DOM, not of its layout: attached, shown, hidden and
    // resized with it through a hook, while the overlay is open.
    this.parent = host;
    this._hook = (_, msg: Message) => {
      if (msg.type === 'activate-request' && this.isOpen) {
        // Activating the host (the grid focuses its tiles) focuses the view.
        this.view.node.focus();
        return false;
      }
      if (ATTACHING.has(msg.type)) {
        this._send(msg, true);
      } else if (SHOWING.has(msg.type) && !this.isHidden) {
        this._send(msg, true);
      }
      return true;
    };
    MessageLoop.installMessageHook(host, this._hook);
    host.node.append(this.node);
    if (host.isAttached) {
      this._send(Widget.Msg.BeforeAttach, true);
      this._send(Widget.Msg.AfterAttach, true);
    }
    host.disposed.connect(() => this.dispose());
  }

  /** Whether a sample is shown over the host. */
  get isOpen(): boolean {
    return !this.isDisposed && !this.isHidden;
  }

  /** Show `sampleId` (row `index` of the view query, if known) over the host. */
  async open(sampleId: number, index: number | null): Promise<void> {
    if (!this.isOpen) {
      this.show(); // messages the overlay itself, then its children:
      this._send(Widget.Msg.AfterShow, false);
    }
    this.view.node.focus();
    await this.view.showSample(sampleId, index);
    MessageLoop.sendMessage(this.view, Widget.ResizeMessage.UnknownSize);
  }

  /** Show the next (+1) or previous (-1) row of the view query. */
  step(delta: number): Promise<void> {
    return this.view.step(delta);
  }

  /** Hide the overlay; the row shown last (null when unknown). */
  close(): number | null {
    const index = this.view.index;
    if (this.isOpen) {
      this._send(Widget.Msg.BeforeHide, false);
      this.hide();
      this._send(Widget.Msg.AfterHide, false);
    }
    return index;
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    MessageLoop.removeMessageHook(this.host, this._hook);
    for (const child of this._children) {
      child.dispose();
    }
    this.node.remove();
    super.dispose();
  }

  /** A message to the widgets in the overlay (`self`: to the overlay first). */
  private _send(msg: Message, self: boolean): void {
    if (self) {
      MessageLoop.sendMessage(this, msg);
    }
    for (const child of this._children) {
      MessageLoop.sendMessage(child, msg);
    }
  }

  private _hook: MessageHook;
  private _children: Widget[];
}
