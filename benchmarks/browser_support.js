/**
 * What the browser benchmarks (bench_grid.js, bench_map_render.js) share: the
 * repository root, playwright-core's chromium from ui-tests/node_modules, their
 * `--name value` options, the system Chromium they run (ui-tests/chromium-launch.js)
 * and the JupyterLab server they measure.
 */
const { execFileSync, spawn } = require('child_process');
const path = require('path');

const ROOT = path.resolve(__dirname, '..');
const {
  CHROMIUM,
  BASE_SWITCHES,
  QUIET_SWITCHES
} = require('../ui-tests/chromium-launch');
/** @type {typeof import('playwright-core').chromium} */
const chromium = require(
  path.join(ROOT, 'ui-tests', 'node_modules', 'playwright-core')
).chromium;

const args = process.argv.slice(2);

/**
 * The value of `--name` on the command line, or the default.
 * @param {string} name
 * @param {string | number} dflt
 * @returns {string}
 */
function opt(name, dflt) {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : String(dflt);
}

/**
 * Headless system Chromium without a GPU, plus the given switches.
 * @param {string[]} extraArgs
 */
function launchChromium(extraArgs) {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [...BASE_SWITCHES, ...extraArgs]
  });
}

/** `chromium --version`, for the report. */
function chromiumVersion() {
  return execFileSync(CHROMIUM, ['--version'], {
    encoding: 'utf-8',
    stdio: ['ignore', 'pipe', 'ignore']
  }).trim();
}

/**
 * A JupyterLab server of the benchmark's own: loopback, `port` (never retried), no token
 * (the benchmark's browser is its only client), VisionLens on `dataDir`. SIGTERM to the
 * benchmark stops it too (a `timeout` around a run must not leave it behind).
 * @param {string} jupyter the `jupyter` executable
 * @param {string} port
 * @param {string} dataDir
 * @param {string} rootDir
 */
function startLab(jupyter, port, dataDir, rootDir) {
  const server = spawn(
    jupyter,
    [
      'lab',
      '--no-browser',
      '--allow-root',
      `--port=${port}`,
      '--ip=127.0.0.1',
      '--ServerApp.port_retries=0',
      '--IdentityProvider.token=',
      '--ServerApp.password=',
      '--ServerApp.disable_check_xsrf=True',
      '--LabApp.expose_app_in_browser=True',
      `--ServerApp.root_dir=${rootDir}`
    ],
    {
      env: { ...process.env, VISIONLENS_DATA_DIR: dataDir },
      stdio: ['ignore', 'ignore', 'pipe']
    }
  );
  process.once('SIGTERM', () => {
    server.kill('SIGTERM');
    process.exit(143);
  });
  const lab = {
    server,
    base: `http://127.0.0.1:${port}`,
    /** The server log's last 20,000 characters. */
    log: '',
    /** Stop the server and wait for it to exit. */
    stop: async () => {
      const exited = new Promise(r => server.once('exit', r));
      server.kill('SIGTERM');
      await exited;
    }
  };
  server.stderr?.on('data', d => {
    lab.log = (lab.log + d).slice(-20000);
  });
  return lab;
}

/**
 * Resolve once `url` answers 200 (polled every half second); throw after `ms`.
 * @param {string} url
 * @param {number} ms
 */
async function waitForServer(url, ms) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      const r = await fetch(url);
      if (r.ok) {
        return;
      }
    } catch {
      // not up yet
    }
    await new Promise(r => setTimeout(r, 500));
  }
  throw new Error(`server did not start: ${url}`);
}

/**
 * A fresh 1280x800 page of JupyterLab at `base`, its DevTools session, once the
 * splash screen is gone and `command` exists (the extension is loaded), plus a
 * second for the first layout to settle.
 * @param {import('playwright-core').Browser} browser
 * @param {string} base
 * @param {string} command
 */
async function openLab(browser, base, command) {
  const page = await browser.newPage({
    viewport: { width: 1280, height: 800 }
  });
  const cdp = await page.context().newCDPSession(page);
  await page.goto(`${base}/lab?reset`);
  await page
    .locator('#jupyterlab-splash')
    .waitFor({ state: 'detached', timeout: 120000 });
  await page.waitForFunction(
    id =>
      /** @type {any} */ (window).jupyterapp &&
      /** @type {any} */ (window).jupyterapp.commands.hasCommand(id),
    command
  );
  await page.waitForTimeout(1000);
  return { page, cdp };
}

module.exports = {
  ROOT,
  QUIET_SWITCHES,
  chromium,
  opt,
  launchChromium,
  chromiumVersion,
  startLab,
  openLab,
  waitForServer
};
