/**
 * What the browser benchmarks (bench_grid.js, bench_map_render.js) share: the
 * repository root, playwright-core's chromium from ui-tests/node_modules, their
 * `--name value` options, and the system Chromium they run (ui-tests/chromium-launch.js).
 */
const { execFileSync } = require('child_process');
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

module.exports = {
  ROOT,
  QUIET_SWITCHES,
  chromium,
  opt,
  launchChromium,
  chromiumVersion
};
