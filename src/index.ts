/**
 * VisionLens lab extension entry point.
 *
 * Every panel is its own plugin requiring the shared `IVisionLensModel`.
 * Other areas (notebook bridge, evaluation...) add their plugin with one
 * import line and one entry in `plugins` below.
 */
import { JupyterFrontEndPlugin } from '@jupyterlab/application';

import { bridgePlugin } from './features/bridge/plugin';
import { corePlugin } from './features/core/plugin';
import { datasetsPlugin } from './features/datasets/plugin';
import { filtersPlugin } from './features/filters/plugin';
import { gridPlugin } from './features/grid/plugin';
import { jobsPlugin } from './features/jobs/plugin';
import { pluginsPlugin } from './features/plugins/plugin';
import { samplePlugin } from './features/sample/plugin';
import { similarityPlugin } from './features/similarity/plugin';
import { modelsPlugin } from './features/models/plugin';
import { evaluationPlugin } from './features/evaluation/plugin';
import { mapPlugin } from './features/map/plugin';
import { blindSpotsPlugin } from './features/blindspots/plugin';
import { patchesPlugin } from './features/patches/plugin';
import { tracksPlugin, videosPlugin } from './features/videos/plugin';
import { versionsPlugin } from './features/versions/plugin';
import { qualityPlugin } from './features/quality/plugin';
import { selectionPlugin } from './features/selection/plugin';

const plugins: JupyterFrontEndPlugin<any>[] = [
  corePlugin,
  datasetsPlugin,
  gridPlugin,
  samplePlugin,
  filtersPlugin,
  jobsPlugin,
  similarityPlugin,
  modelsPlugin,
  bridgePlugin,
  evaluationPlugin,
  mapPlugin,
  pluginsPlugin,
  blindSpotsPlugin,
  patchesPlugin,
  videosPlugin,
  tracksPlugin,
  versionsPlugin,
  qualityPlugin,
  selectionPlugin
];

export default plugins;

export * from './model/tokens';
export { JobError } from './api/client';
export { VisionLensAPIError } from './api/restTransport';
export { classColor, hashString } from './base/colors';
