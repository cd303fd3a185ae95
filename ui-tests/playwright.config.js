/**
 * Playwright configuration of the VisionLens UI tests.
 *
 * Runs the system Chromium (never `npx playwright install`), one worker
 * (the machine is small and the tests share one server and data folder).
 *
 * The tests only ever run against the server this configuration starts:
 * its own port (VISIONLENS_UI_PORT, default 8917, never Jupyter's 8888),
 * `reuseExistingServer: false` (a server already on that port is an error,
 * not a test target), and a fresh data folder per run (a new temporary
 * folder, removed by global-teardown), or VISIONLENS_UI_DATA_DIR when it is
 * empty or was made by an earlier run (checked by a marker file).
 */
const fs = require('fs');
const os = require('os');
const path = require('path');

/** @type {import('@playwright/test').PlaywrightTestConfig} */
const baseConfig = require('@jupyterlab/galata/lib/playwright-config');
const { launchOptions } = require('./chromium-launch');
const { writeFolderPlugins } = require('./folder-plugins');

/** Marks a data folder as one the UI tests may fill and change. */
const MARKER = '.visionlens-ui-tests';

// The runner evaluates this file first and its workers inherit its
// environment: whatever is decided here holds for the whole run.
if (!process.env.VISIONLENS_UI_RUN) {
  process.env.VISIONLENS_UI_RUN = String(process.pid);
  process.env.VISIONLENS_UI_PORT = process.env.VISIONLENS_UI_PORT || '8917';
  if (process.env.VISIONLENS_UI_PORT === '8888') {
    throw new Error(
      "VISIONLENS_UI_PORT=8888 is Jupyter's default: pick another"
    );
  }
  // Never VISIONLENS_DATA_DIR from the shell: that may be someone's real catalog.
  const given = process.env.VISIONLENS_UI_DATA_DIR;
  let run;
  if (given) {
    // A folder kept between runs (faster): only an empty one or one of ours.
    fs.mkdirSync(given, { recursive: true });
    const entries = fs.readdirSync(given);
    if (entries.length > 0 && !entries.includes(MARKER)) {
      throw new Error(
        `VISIONLENS_UI_DATA_DIR=${given} is not empty and was not made by the UI tests`
      );
    }
    fs.writeFileSync(path.join(given, MARKER), '');
    run = given;
  } else {
    run = fs.mkdtempSync(path.join(os.tmpdir(), 'visionlens-ui-'));
    process.env.VISIONLENS_UI_RUN_DIR = run; // removed by global-teardown
  }
  process.env.VISIONLENS_DATA_DIR = path.join(run, 'visionlens');
  // Folder plugins load when the server starts, before global-setup runs.
  writeFolderPlugins(process.env.VISIONLENS_DATA_DIR);
  process.env.JUPYTERLAB_GALATA_ROOT_DIR = path.join(run, 'root');
  // A tiny randomly initialised open_clip model (global-setup writes it): the
  // server's checkpoint setting points at it, so it is the default model.
  process.env.VISIONLENS_UI_CHECKPOINT = path.join(run, 'tiny-clip');
}
const PORT = process.env.VISIONLENS_UI_PORT;
process.env.TARGET_URL = `http://localhost:${PORT}`;

module.exports = {
  ...baseConfig,
  reporter: [['list']],
  // The specs under hub/ run against a JupyterHub: playwright-hub.config.js.
  testIgnore: ['hub/**'],
  globalSetup: require.resolve('./global-setup'),
  globalTeardown: require.resolve('./global-teardown'),
  timeout: 120 * 1000,
  expect: { timeout: 20 * 1000 },
  workers: 1,
  retries: 0,
  use: {
    ...baseConfig.use,
    baseURL: process.env.TARGET_URL,
    viewport: { width: 1280, height: 800 },
    trace: 'retain-on-failure',
    // Videos need Playwright's own ffmpeg download; screenshots are enough.
    video: 'off',
    launchOptions
  },
  webServer: {
    command: 'jlpm start',
    url: `http://localhost:${PORT}/lab`,
    timeout: 180 * 1000,
    reuseExistingServer: false
  }
};
