/**
 * The VisionLens UI tests under a real JupyterHub (issue #15): `jlpm test:hub`.
 *
 * hub/global-setup.js starts tests/hub/serve_for_ui.py (the hub of the Python
 * hub tests: prefix `/@/space%20word/`, dummy authenticator, alice's server with
 * a dataset ingested through the proxy) on free ports, never on the UI tests'
 * or the pytest hub's; the specs log in through the hub's login page. The hub's
 * log is printed when the setup or a test fails. Same browser as
 * playwright.config.js (chromium-launch.js): Debian's Chromium, one worker.
 */
const { launchOptions } = require('./chromium-launch');

module.exports = {
  testDir: './hub',
  reporter: [['list']],
  globalSetup: require.resolve('./hub/global-setup'),
  globalTeardown: require.resolve('./hub/global-teardown'),
  timeout: 240 * 1000,
  expect: { timeout: 30 * 1000 },
  workers: 1,
  retries: 0,
  use: {
    viewport: { width: 1280, height: 800 },
    trace: 'retain-on-failure',
    video: 'off',
    launchOptions
  }
};
