/**
 * Starts the real JupyterHub of the hub UI tests (tests/hub/serve_for_ui.py)
 * and waits for its state file: hub URL, user, dataset. Its output (the hub's
 * log on a failure) goes to this run's output.
 */
const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const REPO = path.resolve(__dirname, '..', '..');

/** The Python of the repo's venv, else python3 on PATH. */
function python() {
  const venv = path.join(REPO, '.venv', 'bin', 'python');
  return (
    process.env.VISIONLENS_PYTHON || (fs.existsSync(venv) ? venv : 'python3')
  );
}

module.exports = async function globalSetup() {
  const run = fs.mkdtempSync(path.join(os.tmpdir(), 'visionlens-hub-ui-'));
  const state = path.join(run, 'state.json');
  const child = spawn(
    python(),
    [
      path.join(REPO, 'tests', 'hub', 'serve_for_ui.py'),
      state,
      path.join(run, 'hub')
    ],
    { cwd: REPO, stdio: ['ignore', 'inherit', 'inherit'], detached: true }
  );
  process.env.VISIONLENS_HUB_UI_PID = String(child.pid);
  process.env.VISIONLENS_HUB_UI_RUN = run;
  process.env.VISIONLENS_HUB_UI_STATE = state;
  const deadline = Date.now() + 400 * 1000;
  while (!fs.existsSync(state)) {
    if (child.exitCode !== null) {
      throw new Error(
        `the hub for the UI tests exited with ${child.exitCode} (its log is above)`
      );
    }
    if (Date.now() > deadline) {
      process.kill(-Number(child.pid), 'SIGTERM');
      throw new Error('the hub for the UI tests was not ready after 400 s');
    }
    await new Promise(resolve => setTimeout(resolve, 500));
  }
  child.unref();
};
