/**
 * Removes the run's data folder when the configuration created it (a folder
 * named by VISIONLENS_DATA_DIR is the caller's and is kept).
 */
const fs = require('fs');

module.exports = async function globalTeardown() {
  const run = process.env.VISIONLENS_UI_RUN_DIR;
  if (run) {
    fs.rmSync(run, { recursive: true, force: true });
  }
};
