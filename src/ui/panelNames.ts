/**
 * Every VisionLens panel's name and icon, in one place: tab labels, sidebar
 * captions, command labels and palette items read them here, so they agree
 * ("VisionLens Jobs", "VisionLens: Open Jobs", a distinct icon each).
 */
import {
  checkIcon,
  duplicateIcon,
  extensionIcon,
  fastForwardIcon,
  filterIcon,
  historyIcon,
  imageIcon,
  LabIcon,
  listIcon,
  tableRowsIcon,
  tagIcon,
  videoIcon
} from '@jupyterlab/ui-components';

import { Title, Widget } from '@lumino/widgets';

import {
  blindSpotsIcon,
  mapIcon,
  patchesIcon,
  qualityIcon,
  visionLensIcon
} from '../base/icons';

/** A panel's name (Title Case, without "VisionLens") and icon. */
export interface IPanelName {
  readonly name: string;
  readonly icon: LabIcon;
  /** A sidebar tab's label where the name is too long for it. */
  readonly tab?: string;
}

/** The panels, by the short id their DOM id is built from. */
export const PANELS = {
  datasets: { name: 'Datasets', icon: visionLensIcon },
  grid: { name: 'Grid', icon: tableRowsIcon },
  sample: { name: 'Sample', icon: imageIcon },
  filters: { name: 'Filters', icon: filterIcon },
  evaluation: { name: 'Evaluation', icon: checkIcon },
  map: { name: 'Embedding Map', icon: mapIcon },
  duplicates: {
    name: 'Duplicates and Leaks',
    icon: duplicateIcon,
    tab: 'Duplicates'
  },
  blindspots: { name: 'Blind Spots', icon: blindSpotsIcon },
  patches: { name: 'Patches', icon: patchesIcon },
  videos: { name: 'Videos', icon: videoIcon },
  tracks: { name: 'Tracks', icon: fastForwardIcon },
  jobs: { name: 'Jobs', icon: listIcon },
  plugins: { name: 'Plugins', icon: extensionIcon },
  versions: { name: 'Versions', icon: historyIcon },
  quality: { name: 'Quality', icon: qualityIcon },
  selection: { name: 'Selection', icon: tagIcon }
} as const satisfies Record<string, IPanelName>;

/** The id of a panel of {@link PANELS}. */
export type PanelId = keyof typeof PANELS;

/** The panel's full title: "VisionLens Jobs" (tab tooltips, sidebar captions). */
export function panelTitle(id: PanelId): string {
  return `VisionLens ${PANELS[id].name}`;
}

/** The label of the command that opens the panel: "VisionLens: Open Jobs". */
export function openLabel(id: PanelId): string {
  return `VisionLens: Open ${PANELS[id].name}`;
}

/** A main-area tab's label: the panel's name, and the dataset it shows. */
export function tabLabel(id: PanelId, dataset: string | null): string {
  return dataset ? `${PANELS[id].name}: ${dataset}` : panelTitle(id);
}

/** What {@link nameSidePanel} and {@link nameTab} set of a widget's title. */
type ITitle = Pick<Title<Widget>, 'label' | 'caption' | 'icon'>;

/**
 * A sidebar panel's tab shows its icon and name (an icon alone says little to
 * a new user); its caption (the tooltip) is its title.
 */
export function nameSidePanel(title: ITitle, id: PanelId): void {
  const panel: IPanelName = PANELS[id];
  title.label = panel.tab ?? panel.name;
  title.caption = panelTitle(id);
  title.icon = PANELS[id].icon;
}

/** A main-area tab: its label names the dataset it shows, if any. */
export function nameTab(
  title: ITitle,
  id: PanelId,
  dataset: string | null = null
): void {
  title.label = tabLabel(id, dataset);
  title.caption = panelTitle(id);
  title.icon = PANELS[id].icon;
}
