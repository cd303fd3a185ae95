/**
 * An example VisionLens lab-extension plugin.
 *
 * It requires the VisionLens model token (shared with the host extension as
 * a singleton, see `sharedPackages` in package.json) and registers:
 * - a grid tile overlay: a corner badge with the sample's box count;
 * - a sample-view section: the sample's boxes counted per class, and a
 *   button that adds the sample to the shared selection;
 * - a map colour scheme: a diverging palette by value rank, and a
 *   dark-red-to-yellow ramp for numeric fields.
 * Every string from the dataset is written as text, never as HTML.
 */
import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { IVisionLensModel } from 'visionlens_jlab';

/** The registry API version this plugin was written for. */
const API_VERSION = '1.0';
const OWNER = 'visionlens-overlay-example';
/** ColorBrewer RdBu, by value rank (most frequent first). */
const PALETTE = ['#b2182b', '#ef8a62', '#fddbc7', '#67a9cf', '#2166ac'];

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'visionlens-overlay-example:plugin',
  description:
    'Box-count badges on VisionLens grid tiles and a box-count section.',
  autoStart: true,
  requires: [IVisionLensModel],
  activate: (app: JupyterFrontEnd, model: IVisionLensModel) => {
    const registry = model.extensions;
    if (!registry.supports(API_VERSION)) {
      console.warn(
        `${OWNER}: VisionLens registry ${registry.apiVersion} does not serve API ${API_VERSION}`
      );
      return;
    }
    registry.addTileOverlay({
      id: 'box-count-badge',
      owner: OWNER,
      render: ({ sample, element, size }) => {
        const count = sample.annotations.length;
        const badge = document.createElement('span');
        badge.className = 'vl-example-badge';
        badge.textContent = String(count);
        badge.title = `${count} box${count === 1 ? '' : 'es'}`;
        badge.style.fontSize = `${Math.max(9, Math.round(size / 14))}px`;
        element.appendChild(badge);
      }
    });
    registry.addSampleViewSection({
      id: 'box-count-section',
      owner: OWNER,
      title: 'Boxes per class (example plugin)',
      render: ({ sample, element }) => {
        const counts = new Map<string, number>();
        for (const box of sample.annotations) {
          counts.set(box.label, (counts.get(box.label) ?? 0) + 1);
        }
        const list = document.createElement('ul');
        list.className = 'vl-example-counts';
        for (const [label, count] of [...counts].sort((a, b) => b[1] - a[1])) {
          const item = document.createElement('li');
          item.textContent = `${label}: ${count}`;
          list.appendChild(item);
        }
        const total = document.createElement('div');
        total.className = 'vl-example-total';
        total.textContent = `${sample.annotations.length} boxes in total`;
        const select = document.createElement('button');
        select.className = 'jp-Button vl-example-select';
        select.textContent = 'Select this sample';
        select.onclick = () => model.addToSelection([sample.sample_id]);
        element.append(total, list, select);
      }
    });
    registry.addMapColorScheme({
      id: 'example-rdbu',
      owner: OWNER,
      label: 'Red–blue (example plugin)',
      categorical: (_value, index) => PALETTE[index % PALETTE.length],
      numeric: t =>
        `rgb(${Math.round(120 + 135 * t)}, ${Math.round(220 * t)}, 40)`
    });
  }
};

export default plugin;
