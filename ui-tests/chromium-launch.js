/**
 * How every browser run here starts Chromium: Debian's system Chromium (never
 * a downloaded one: `npx playwright install` cannot reach the internet here),
 * no sandbox (containers run as root), no GPU, and none of the background
 * traffic that would try to reach the internet while a test or a benchmark
 * runs. Shared by playwright.config.js, playwright-hub.config.js and the
 * browser benchmarks (benchmarks/browser_support.js).
 */

/** Debian's Chromium. */
const CHROMIUM = '/usr/bin/chromium';

/** Switches every run needs: headless in a container, without a GPU. */
const BASE_SWITCHES = ['--no-sandbox', '--disable-gpu'];

/** Switches that stop Chromium's own network traffic (updates, sync, QUIC). */
const QUIET_SWITCHES = [
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic'
];

/** Playwright's `use.launchOptions` of the UI tests. */
const launchOptions = {
  executablePath: CHROMIUM,
  args: [...BASE_SWITCHES, ...QUIET_SWITCHES]
};

module.exports = { CHROMIUM, BASE_SWITCHES, QUIET_SWITCHES, launchOptions };
