/**
 * What the browser benchmarks (bench_grid.js, bench_map_render.js,
 * bench_patches_browser.js, bench_video_playback.js) share: the repository
 * root, playwright-core's chromium from ui-tests/node_modules, their
 * `--name value` options, the system Chromium they run
 * (ui-tests/chromium-launch.js), the JupyterLab server they measure and the
 * rounds they run against it (`runRounds`).
 */
const { execFileSync, spawn } = require('child_process');
const fs = require('fs');
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

/**
 * `count` rounds of `round(browser, i)` in one headless Chromium (the quiet
 * switches and `switches`) against `lab` once it answers and `ready()` (what a
 * benchmark reads from the server first) is done; then, whatever happened, the
 * browser closed, the lab stopped and `dirs` removed. Throws, after the lab's
 * log, unless every round completed.
 * @template T
 * @param {{
 *   lab: { base: string, log: string, stop: () => Promise<void> },
 *   dirs: string[],
 *   count: number,
 *   switches?: string[],
 *   ready?: () => Promise<void>,
 *   round: (browser: import('playwright-core').Browser, i: number) => Promise<T>
 * }} options
 * @returns {Promise<T[]>}
 */
async function runRounds({ lab, dirs, count, switches = [], ready, round }) {
  /** @type {T[]} */
  const rounds = [];
  let browser;
  try {
    await waitForServer(`${lab.base}/visionlens/api/datasets`, 120000);
    if (ready) {
      await ready();
    }
    browser = await launchChromium([...QUIET_SWITCHES, ...switches]);
    for (let i = 0; i < count; i++) {
      rounds.push(await round(browser, i));
    }
  } catch (error) {
    console.error(error);
  } finally {
    if (browser) {
      await browser.close();
    }
    await lab.stop();
    for (const dir of dirs) {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  if (rounds.length < count) {
    console.error(lab.log.slice(-3000));
    throw new Error('benchmark did not complete');
  }
  return rounds;
}

/**
 * Put `md` above the first section (`## `) of results file `file`, below its
 * title and intro, where the newest results go (harness.py's `write_section`
 * with `top`); a file without sections gets it at the end.
 * @param {string} file
 * @param {string} md
 */
function writeOnTop(file, md) {
  const old = fs.existsSync(file) ? fs.readFileSync(file, 'utf-8') : '';
  const at = old.search(/^## /m);
  const text =
    at < 0
      ? `${old}${old ? '\n' : ''}${md}`
      : `${old.slice(0, at)}${md}\n${old.slice(at)}`;
  fs.writeFileSync(file, text);
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
  runRounds,
  waitForServer,
  writeOnTop
};
