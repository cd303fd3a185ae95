/** One kernel-side VisionLens `Session` (one comm), as the bridge sees it. */
import { Kernel } from '@jupyterlab/services';

import { FrontendCommMessage } from './protocol';

/** One kernel-side `Session`, as seen from here. */
export class BridgeSession {
  constructor(
    readonly key: string,
    readonly comm: Kernel.IComm,
    readonly kernel: Kernel.IKernelConnection,
    public dataset: string | null
  ) {}

  /** Send a message; a comm that went away is reported as `false`. */
  send(
    msg: FrontendCommMessage,
    buffers?: (ArrayBuffer | ArrayBufferView)[]
  ): boolean {
    if (this.comm.isDisposed || this.kernel.isDisposed) {
      return false;
    }
    try {
      this.comm.send(msg as any, undefined, buffers);
      return true;
    } catch (error) {
      console.warn('VisionLens bridge: cannot send', error);
      return false;
    }
  }
}
