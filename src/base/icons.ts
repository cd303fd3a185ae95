/** The VisionLens icon: an image frame with two detection boxes. */
import { LabIcon } from '@jupyterlab/ui-components';

const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="24" height="24" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M3 4h18a1 1 0 0 1 1 1v14a1 1 0 0 1-1 1H3a1 1 0 0 1-1-1V5a1 1 0 0 1 1-1zm1 2v12h16V6H4z"/>
    <path d="M6 8h6v6H6V8zm1.5 1.5v3h3v-3h-3z"/>
    <path d="M13 10h5v5h-5v-5zm1.2 1.2v2.6h2.6v-2.6h-2.6z" opacity="0.7"/>
  </g>
</svg>`;

export const visionLensIcon = new LabIcon({
  name: 'visionlens_jlab:icon',
  svgstr: svg
});
