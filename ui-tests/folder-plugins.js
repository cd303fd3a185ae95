/**
 * Python plugins for the plugins UI test, written into the run's
 * `<data dir>/plugins/` folder before the server starts (the server discovers
 * folder plugins once, at start): one that loads and two that fail (an import
 * error and an unsupported api_version). The failing ones also show that a
 * broken plugin leaves every other UI test working. A fourth gives the
 * `ui-labels` ingest format of the labels test (tests/label_document.py).
 */
const fs = require('fs');
const path = require('path');

/** The repository (its `tests` package holds the label documents' parser). */
const REPO = path.resolve(__dirname, '..');

const PLUGINS = {
  'ui_tools.py': `"""A plugin that loads: one agent tool."""
from visionlens_jlab.plugins.api import AgentTool

name = "ui-tools"
version = "0.3.1"
api_version = "1.0"


def _count_words(text: str) -> int:
    """How many words a text has."""
    return len(text.split())


def agent_tools(*, context):
    return [AgentTool(name="ui_count_words", function=_count_words)]
`,
  'ui_broken_import.py': `"""A plugin that fails to import."""
import visionlens_no_such_module  # noqa: F401

name = "ui-broken-import"
version = "0.0.1"
api_version = "1.0"
`,
  'ui_future_api.py': `"""A plugin written for an API this server does not load."""
name = "ui-future-api"
version = "2.0.0"
api_version = "9.0"


def agent_tools(*, context):
    return []
`,
  'ui_labels.py': `"""The ingest format of the labels UI test: masks, keypoints, classifications."""
import sys

sys.path.insert(0, ${JSON.stringify(REPO)})
from tests.label_document import labels_format  # noqa: E402

name = "ui-labels"
version = "0.1.0"
api_version = "1.0"


def ingest_formats(*, context):
    return [labels_format()]
`
};

/**
 * Write the plugins into `<dataDir>/plugins/`.
 * @param {string} dataDir
 */
function writeFolderPlugins(dataDir) {
  const folder = path.join(dataDir, 'plugins');
  fs.mkdirSync(folder, { recursive: true });
  for (const [name, text] of Object.entries(PLUGINS)) {
    fs.writeFileSync(path.join(folder, name), text);
  }
}

module.exports = { writeFolderPlugins };
