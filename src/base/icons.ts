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

/** The embedding map: points in clusters. */
export const mapIcon = new LabIcon({
  name: 'visionlens_jlab:map',
  svgstr: `<svg xmlns="http://www.w3.org/2000/svg" width="24" height="24" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <circle cx="6" cy="7" r="2"/><circle cx="9.5" cy="10" r="1.6"/><circle cx="5" cy="12" r="1.4"/>
    <circle cx="16" cy="15" r="2"/><circle cx="19" cy="18.5" r="1.6"/><circle cx="14.5" cy="19" r="1.4"/>
    <circle cx="17.5" cy="6" r="1.5"/>
  </g>
</svg>`
});

/** Blind spots: an eye with a slice cut out of its view. */
export const blindSpotsIcon = new LabIcon({
  name: 'visionlens_jlab:blindspots',
  svgstr: `<svg xmlns="http://www.w3.org/2000/svg" width="24" height="24" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M12 5C6.5 5 2.7 9.2 1.5 12c1.2 2.8 5 7 10.5 7s9.3-4.2 10.5-7C21.3 9.2 17.5 5 12 5zm0 12c-3.9 0-6.9-2.8-8.2-5 1.3-2.2 4.3-5 8.2-5s6.9 2.8 8.2 5c-1.3 2.2-4.3 5-8.2 5z"/>
    <path d="M12 8.5a3.5 3.5 0 1 0 3.5 3.5H12V8.5z"/>
  </g>
</svg>`
});

/** Patches: a grid of four tiles, each a detection box. */
export const patchesIcon = new LabIcon({
  name: 'visionlens_jlab:patches',
  svgstr: `<svg xmlns="http://www.w3.org/2000/svg" width="24" height="24" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M3 3h8v8H3V3zm1.5 1.5v5h5v-5h-5zM13 3h8v8h-8V3zm1.5 1.5v5h5v-5h-5zM3 13h8v8H3v-8zm1.5 1.5v5h5v-5h-5zM13 13h8v8h-8v-8zm1.5 1.5v5h5v-5h-5z"/>
    <path d="M6 6h2v2H6zM16 6h2v2h-2zM6 16h2v2H6zM16 16h2v2h-2z"/>
  </g>
</svg>`
});

/** Quality: a checklist whose last line is flagged. */
export const qualityIcon = new LabIcon({
  name: 'visionlens_jlab:quality',
  svgstr: `<svg xmlns="http://www.w3.org/2000/svg" width="24" height="24" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M3 5.5l1.5-1.5L6 5.5 9 2.5l1.5 1.5L6 8.5 3 5.5zM12 4h9v2h-9V4zM3 12.5L4.5 11 6 12.5 9 9.5l1.5 1.5L6 15.5l-3-3zM12 11h9v2h-9v-2z"/>
    <path d="M5 17h2v3H5v-3zm0 4h2v1.5H5V21zM12 18h9v2h-9v-2z"/>
  </g>
</svg>`
});
