/**
 * The frontend side of the notebook bridge.
 *
 * Registers the `visionlens` comm target on every kernel connection it is
 * given; each comm a kernel opens (`vl.open(ds)`) becomes a session bound to
 * one dataset. What Python sets is applied to the shared model (so every panel
 * shows it); every change of the model's selection or filter is sent to the
 * sessions of the dataset it concerns. The grid a session opens goes beside
 * the session's notebook, which keeps the focus: the user is still typing
 * there (FiftyOne's `session.show()`).
 */
import { CommandRegistry } from '@lumino/commands';
import { Kernel, KernelMessage } from '@jupyterlab/services';

import { CommandIDs, IVisionLensModel } from '../../model/tokens';
import {
  checkKernelMessage,
  COMM_TARGET,
  decodeIds,
  encodeIds,
  frontendMessage,
  IFilterMessage,
  IRequestMessage,
  ISelectionMessage,
  ISelectMessage,
  KernelCommMessage,
  toModelFilter
} from './protocol';
import { BridgeSession } from './session';

/** The frontend's name in `hello` answers. */
export const FRONTEND_NAME = 'visionlens_jlab';

/**
 * The id of the main-area widget (a notebook, a console) whose kernel is
 * `kernel`, for the grid to open beside; null when none is known.
 */
export type WidgetOfKernel = (
  kernel: Kernel.IKernelConnection
) => string | null;

/** The bridge between kernels and the shared model. */
export class NotebookBridge {
  constructor(
    private readonly _model: IVisionLensModel,
    private readonly _commands: CommandRegistry,
    private readonly _widgetOf: WidgetOfKernel = () => null
  ) {
    _model.selectionChanged.connect(this._onSelectionChanged, this);
    // setDataset() emits filterChanged and selectionChanged too: no need to
    // follow datasetChanged separately.
    _model.filterChanged.connect(this._onFilterChanged, this);
  }

  /** Live sessions, for tests and the status of the panels. */
  get sessions(): readonly BridgeSession[] {
    return [...this._sessions.values()];
  }

  /**
   * Register the comm target on a kernel connection (idempotent) and
   * re-attach to sessions opened before this page was loaded.
   */
  attachKernel(kernel: Kernel.IKernelConnection | null | undefined): void {
    if (!kernel || kernel.isDisposed || this._kernels.has(kernel)) {
      return;
    }
    this._kernels.add(kernel);
    // Handlers never return their promise: a pending one would pause every
    // message of the kernel (outputs included) until it settles.
    kernel.registerCommTarget(COMM_TARGET, (comm, msg) => {
      void this._onCommOpen(kernel, comm, msg);
    });
    kernel.statusChanged.connect(this._onKernelStatus, this);
    kernel.disposed.connect(() => {
      this._kernels.delete(kernel);
      this._dropKernel(kernel);
    });
    void this._resume(kernel);
  }

  private _onKernelStatus(
    kernel: Kernel.IKernelConnection,
    status: Kernel.Status
  ): void {
    if (
      status === 'restarting' ||
      status === 'autorestarting' ||
      status === 'dead'
    ) {
      this._dropKernel(kernel); // the kernel's sessions died with it
    }
  }

  private _dropKernel(kernel: Kernel.IKernelConnection): void {
    for (const [key, session] of this._sessions) {
      if (session.kernel === kernel) {
        this._sessions.delete(key);
      }
    }
  }

  /** After a page reload: find the kernel's open sessions and adopt them. */
  private async _resume(kernel: Kernel.IKernelConnection): Promise<void> {
    try {
      await kernel.info;
      const reply = await kernel.requestCommInfo({ target_name: COMM_TARGET });
      const comms = (reply.content as any).comms ?? {};
      for (const commId of Object.keys(comms)) {
        const key = `${kernel.id}:${commId}`;
        if (this._sessions.has(key) || kernel.hasComm(commId)) {
          continue;
        }
        const comm = kernel.createComm(COMM_TARGET, commId);
        const session = this._adopt(key, kernel, comm, null);
        // The kernel answers with its own hello (its dataset), then we send state.
        session.send(frontendMessage('hello', { resume: true }));
      }
    } catch (error) {
      console.debug('VisionLens bridge: no sessions to resume', error);
    }
  }

  private async _onCommOpen(
    kernel: Kernel.IKernelConnection,
    comm: Kernel.IComm,
    msg: KernelMessage.ICommOpenMsg
  ): Promise<void> {
    const key = `${kernel.id}:${comm.commId}`;
    if (this._sessions.has(key)) {
      return; // another connection of this page to the same kernel has it
    }
    const data = msg.content.data as unknown as KernelCommMessage;
    const problem = checkKernelMessage(data);
    const session = this._adopt(key, kernel, comm, null);
    if (problem || data.type !== 'hello') {
      session.send(
        frontendMessage('error', {
          reply_to: messageId(data),
          message:
            problem ?? 'a session must open with a hello naming its dataset'
        })
      );
      return;
    }
    session.dataset = data.dataset;
    await this._model.restored;
    session.send(
      frontendMessage('hello', {
        reply_to: data.id,
        frontend: FRONTEND_NAME,
        shown: this._model.dataset
      })
    );
    if (data.open) {
      await this._openGrid(session, data.dataset);
    }
    this._sendState(session);
  }

  private _adopt(
    key: string,
    kernel: Kernel.IKernelConnection,
    comm: Kernel.IComm,
    dataset: string | null
  ): BridgeSession {
    const session = new BridgeSession(key, comm, kernel, dataset);
    this._sessions.set(key, session);
    comm.onMsg = msg => {
      void this._onCommMsg(session, msg);
    };
    comm.onClose = () => {
      this._sessions.delete(key);
    };
    return session;
  }

  private async _onCommMsg(
    session: BridgeSession,
    msg: KernelMessage.ICommMsgMsg
  ): Promise<void> {
    const data = msg.content.data as unknown as KernelCommMessage;
    const problem = checkKernelMessage(data);
    if (problem) {
      session.send(
        frontendMessage('error', {
          reply_to: messageId(data),
          message: problem
        })
      );
      return;
    }
    try {
      switch (data.type) {
        case 'hello': // the kernel's answer to our resume hello
          session.dataset = data.dataset;
          this._sendState(session);
          break;
        case 'select':
          await this._applySelect(session, data, msg.buffers);
          break;
        case 'filter':
          await this._applyFilter(session, data);
          break;
        case 'request':
          await this._request(session, data);
          break;
        case 'error': // a message of ours the kernel could not apply
          console.warn(`VisionLens bridge: the kernel says ${data.message}`);
          break;
      }
    } catch (error) {
      session.send(
        frontendMessage('error', {
          reply_to: data.id ?? null,
          message: error instanceof Error ? error.message : String(error)
        })
      );
    }
  }

  /**
   * Apply a kernel's change as `session`: the echo goes to it alone (with
   * `reply_to`), every other session gets the usual broadcast. Returns whether
   * the panels had to switch to the session's dataset first.
   */
  private async _applyAs(
    session: BridgeSession | null,
    dataset: string,
    change: () => void
  ): Promise<boolean> {
    await this._model.restored;
    const switched = this._model.dataset !== dataset;
    this._applying = session;
    try {
      if (switched) {
        this._model.setDataset(dataset);
      }
      change();
    } finally {
      this._applying = null;
    }
    return switched;
  }

  private async _applySelect(
    session: BridgeSession,
    msg: ISelectMessage,
    buffers: (ArrayBuffer | ArrayBufferView)[] | undefined
  ): Promise<void> {
    const ids = decodeIds(buffers, msg.count);
    const switched = await this._applyAs(session, msg.dataset, () =>
      this._model.setSelection(ids)
    );
    if (switched) {
      this._sendView(session); // a switch resets the filter
    }
    this._sendSelection(session, msg.id);
  }

  private async _applyFilter(
    session: BridgeSession,
    msg: IFilterMessage
  ): Promise<void> {
    const switched = await this._applyAs(session, msg.dataset, () =>
      this._model.setFilter(toModelFilter(msg.filter))
    );
    this._sendView(session, msg.id);
    if (switched || this._model.selection.mode === 'all') {
      // A switch cleared the selection; "all matching" followed the filter.
      this._sendSelection(session);
    }
  }

  private async _request(
    session: BridgeSession,
    msg: IRequestMessage
  ): Promise<void> {
    if (msg.method === 'open') {
      await this._openGrid(
        session,
        msg.params?.dataset ?? session.dataset ?? ''
      );
    } else if (msg.method !== 'state') {
      throw new Error(`unknown request method ${JSON.stringify(msg.method)}`);
    }
    session.send(
      frontendMessage('response', { reply_to: msg.id, result: { ok: true } })
    );
    this._sendState(session);
  }

  /** Show the grid on `dataset` beside the session's notebook, not activated. */
  private async _openGrid(
    session: BridgeSession,
    dataset: string
  ): Promise<void> {
    if (!dataset) {
      return;
    }
    if (this._commands.hasCommand(CommandIDs.openGrid)) {
      const ref = this._widgetOf(session.kernel);
      await this._commands.execute(CommandIDs.openGrid, {
        dataset,
        mode: 'split-right',
        activate: false,
        ...(ref ? { ref } : {})
      });
    } else {
      // No grid plugin: at least show the dataset in the other panels.
      await this._applyAs(null, dataset, () => undefined);
    }
  }

  /** Everything a session needs to know now: what is shown, its filter and selection. */
  private _sendState(session: BridgeSession): void {
    this._sendView(session);
    if (session.dataset === this._model.dataset) {
      this._sendSelection(session);
    }
  }

  private _sendView(session: BridgeSession, replyTo?: string): void {
    session.send(
      frontendMessage('view', {
        reply_to: replyTo ?? null,
        dataset: this._model.dataset,
        filter: this._model.filter
      })
    );
  }

  private _selectionPayload(): {
    fields: Pick<ISelectionMessage, 'mode' | 'count' | 'filter'>;
    buffers: ArrayBuffer[];
  } {
    const selection = this._model.selection;
    if (selection.mode === 'all') {
      return {
        fields: { mode: 'all', filter: this._model.selectionFilter() },
        buffers: []
      };
    }
    const { count, buffer } = encodeIds(selection.ids);
    return { fields: { mode: 'ids', count }, buffers: [buffer] };
  }

  private _sendSelection(session: BridgeSession, replyTo?: string): void {
    const { fields, buffers } = this._selectionPayload();
    session.send(
      frontendMessage('selection', {
        reply_to: replyTo ?? null,
        dataset: this._model.dataset,
        origin: 'panels',
        ...fields
      }),
      buffers
    );
  }

  private _onSelectionChanged(): void {
    const targets = this.sessions.filter(
      s => s !== this._applying && s.dataset === this._model.dataset
    );
    if (targets.length === 0) {
      return;
    }
    // Encode once, however many notebooks listen.
    const { fields, buffers } = this._selectionPayload();
    for (const session of targets) {
      session.send(
        frontendMessage('selection', {
          dataset: this._model.dataset,
          origin: 'panels',
          ...fields
        }),
        buffers
      );
    }
  }

  private _onFilterChanged(): void {
    for (const session of this.sessions) {
      if (session !== this._applying) {
        this._sendView(session);
      }
    }
  }

  private _kernels = new Set<Kernel.IKernelConnection>();
  private _sessions = new Map<string, BridgeSession>();
  private _applying: BridgeSession | null = null;
}

/** The id of a (possibly malformed) message, for `reply_to`. */
function messageId(data: unknown): string | null {
  const id = (data as { id?: unknown } | null)?.id;
  return typeof id === 'string' ? id : null;
}
