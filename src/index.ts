/**
 * VisionLens lab extension entry point.
 *
 * Every panel is its own plugin requiring the shared `IVisionLensModel`.
 * Other areas (notebook bridge, evaluation...) add their plugin with one
 * import line and one entry in `plugins` below.
 */
import { JupyterFrontEndPlugin } from '@jupyterlab/application';

import { bridgePlugin } from './bridge';
import { corePlugin } from './plugins/core';
import { datasetsPlugin } from './plugins/datasets';
import { filtersPlugin } from './plugins/filters';
import { gridPlugin } from './plugins/grid';
import { jobsPlugin } from './plugins/jobs';
import { pluginsPlugin } from './plugins/plugins';
import { samplePlugin } from './plugins/sample';
import { similarityPlugin } from './plugins/similarity';
import { evaluationPlugin } from './evaluation/plugin';
import { mapPlugin } from './map/plugin';
import { blindSpotsPlugin } from './plugins/blindspots';

const plugins: JupyterFrontEndPlugin<any>[] = [
  corePlugin,
  datasetsPlugin,
  gridPlugin,
  samplePlugin,
  filtersPlugin,
  jobsPlugin,
  similarityPlugin,
  bridgePlugin,
  evaluationPlugin,
  mapPlugin,
  pluginsPlugin,
  blindSpotsPlugin
];

export default plugins;

export * from './tokens';
export { JobError } from './client';
export { VisionLensAPIError } from './restTransport';
export { classColor, hashString } from './colors';
