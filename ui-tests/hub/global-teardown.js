/**
 * Stops the hub of the hub UI tests (it stops the proxy and every user server)
 * and removes its folder.
 */
const fs = require('fs');

module.exports = async function globalTeardown() {
  const pid = Number(process.env.VISIONLENS_HUB_UI_PID);
  if (pid) {
    try {
      process.kill(pid, 'SIGTERM');
      const deadline = Date.now() + 90 * 1000;
      for (;;) {
        process.kill(pid, 0); // throws once it is gone
        if (Date.now() > deadline) {
          process.kill(-pid, 'SIGKILL');
          break;
        }
        await new Promise(resolve => setTimeout(resolve, 250));
      }
    } catch {
      // gone
    }
  }
  const run = process.env.VISIONLENS_HUB_UI_RUN;
  if (run) {
    fs.rmSync(run, { recursive: true, force: true });
  }
};
