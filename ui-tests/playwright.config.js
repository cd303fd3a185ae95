/**
 * Playwright configuration of the VisionLens UI tests.
 *
 * Runs the system Chromium (never `npx playwright install`), one worker
 * (the machine is small and the tests share one server and data folder).
 */
const baseConfig = require('@jupyterlab/galata/lib/playwright-config');

// VISIONLENS_UI_PORT (with its own VISIONLENS_DATA_DIR) lets two runs share a machine.
const PORT = process.env.VISIONLENS_UI_PORT || '8888';
process.env.TARGET_URL = process.env.TARGET_URL || `http://localhost:${PORT}`;

module.exports = {
  ...baseConfig,
  reporter: [['list']],
  globalSetup: require.resolve('./global-setup'),
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
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-quic'
      ]
    }
  },
  webServer: {
    command: 'jlpm start',
    url: `http://localhost:${PORT}/lab`,
    timeout: 180 * 1000,
    reuseExistingServer: !process.env.CI
  }
};
