/**
 * A real Jupyter server with the VisionLens server extension, started by a
 * test (never one that was already running): its own free port, a base_url
 * prefix like JupyterHub's, a token, and a fresh data folder removed at the end.
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';

import { ServerConnection } from '@jupyterlab/services';

/** The repository root (the worktree whose `visionlens_jlab` must be served). */
const REPO = path.resolve(__dirname, '..', '..');

/** A started server; `stop()` ends it and removes its folder. */
export interface ITestServer {
  settings: ServerConnection.ISettings;
  /** The server's folder (data dir, root dir, inputs written by the test). */
  dir: string;
  /** Everything the server printed (shown when a test fails). */
  log(): string;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

async function waitUntilUp(
  url: string,
  token: string,
  proc: ChildProcess,
  log: () => string,
  timeoutMs: number
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) {
      throw new Error(`jupyter server exited (${proc.exitCode}):\n${log()}`);
    }
    try {
      const r = await fetch(url, {
        headers: { Authorization: `token ${token}` }
      });
      if (r.ok) {
        return;
      }
    } catch {
      // not listening yet
    }
    await new Promise(r => setTimeout(r, 250));
  }
  throw new Error(`jupyter server did not answer ${url}:\n${log()}`);
}

/**
 * Start `python -m jupyter_server` ($VISIONLENS_PYTHON or `python` on PATH)
 * with this worktree first on PYTHONPATH.
 */
export async function startServer(
  extraArgs: string[] = [],
  options: { dataDir?: string } = {}
): Promise<ITestServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vl-jest-'));
  // A data folder prepared before the start (vectors: only the owner writes them).
  const dataDir = options.dataDir ?? path.join(dir, 'data');
  const port = await freePort();
  const token = `t${Math.random().toString(36).slice(2)}`;
  const baseUrl = `http://127.0.0.1:${port}/vl-jest/prefix/`;
  const python = process.env.VISIONLENS_PYTHON || 'python';
  const config = path.join(dir, 'jupyter_server_config.json');
  fs.writeFileSync(
    config,
    JSON.stringify({
      ServerApp: { jpserver_extensions: { visionlens_jlab: true } }
    })
  );
  let output = '';
  const proc = spawn(
    python,
    [
      '-m',
      'jupyter_server',
      `--ServerApp.port=${port}`,
      '--ServerApp.port_retries=0',
      '--ServerApp.ip=127.0.0.1',
      '--ServerApp.base_url=/vl-jest/prefix/',
      `--IdentityProvider.token=${token}`,
      '--ServerApp.open_browser=False',
      '--ServerApp.allow_root=True',
      `--ServerApp.root_dir=${dir}`,
      `--config=${config}`,
      `--VisionLensApp.data_dir=${dataDir}`,
      ...extraArgs
    ],
    {
      cwd: dir,
      env: {
        ...process.env,
        PYTHONPATH: [REPO, process.env.PYTHONPATH].filter(Boolean).join(':'),
        VISIONLENS_DATA_DIR: dataDir,
        JUPYTER_CONFIG_DIR: path.join(dir, 'jupyter-config'),
        JUPYTER_RUNTIME_DIR: path.join(dir, 'runtime')
      },
      stdio: ['ignore', 'pipe', 'pipe']
    }
  );
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
  };
  proc.stdout?.on('data', collect);
  proc.stderr?.on('data', collect);
  const log = () => output;
  const stop = async () => {
    if (proc.exitCode === null) {
      const exited = new Promise(r => proc.once('exit', r));
      proc.kill('SIGTERM');
      const killer = setTimeout(() => proc.kill('SIGKILL'), 10000);
      await exited;
      clearTimeout(killer);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitUntilUp(`${baseUrl}api/status`, token, proc, log, 90000);
  } catch (error) {
    await stop();
    throw error;
  }
  const settings = ServerConnection.makeSettings({
    baseUrl,
    wsUrl: baseUrl.replace(/^http/, 'ws'),
    token,
    appendToken: false
  });
  return { settings, dir, log, stop };
}
