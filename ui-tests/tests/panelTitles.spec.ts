/**
 * Every VisionLens panel is named alike and has an icon of its own (issue #32,
 * item 6: "VisionLens jobs", "VisionLens duplicates and leaks" and
 * "VisionLens: Blind Spots" once stood side by side, three sharing one icon).
 */
import { expect, test } from './fixtures';

import { command, openGrid } from './helpers';

/** The command that opens each panel, by the panel's DOM id. */
const OPENERS: Record<string, string> = {
  'visionlens-datasets': 'visionlens:open-panel',
  'visionlens-grid-main': 'visionlens:open-grid',
  'visionlens-sample-main': 'visionlens:open-sample',
  'visionlens-filters': 'visionlens:open-filters',
  'visionlens-evaluation-main': 'visionlens:open-evaluation',
  'visionlens-map-main': 'visionlens:open-map',
  'visionlens-duplicates': 'visionlens:open-duplicates',
  'visionlens-blindspots': 'visionlens:open-blindspots',
  'visionlens-jobs': 'visionlens:open-jobs',
  'visionlens-plugins-main': 'visionlens:open-plugins',
  'visionlens-patches-main': 'visionlens:open-patches',
  'visionlens-videos-main': 'visionlens:open-videos',
  'visionlens-tracks-main': 'visionlens:open-tracks',
  'visionlens-versions-main': 'visionlens:open-versions',
  'visionlens-quality': 'visionlens:open-quality',
  'visionlens-selection': 'visionlens:open-selection'
};

test('every panel: "VisionLens <Name>", its own icon, an "Open <Name>" command', async ({
  page
}) => {
  await openGrid(page, 'demo');
  for (const id of Object.values(OPENERS)) {
    await command(page, id, id.endsWith('sample') ? { dataset: 'demo' } : {});
  }
  const panels = await page.evaluate(
    ({ openers }) => {
      const app = (window as any).jupyterapp;
      const found: {
        id: string;
        caption: string;
        icon: string | null;
        command: string;
      }[] = [];
      for (const area of ['main', 'left', 'right']) {
        for (const widget of app.shell.widgets(area)) {
          if (widget.id in openers) {
            found.push({
              id: widget.id,
              caption: widget.title.caption,
              icon: widget.title.icon?.name ?? null,
              command: app.commands.label(openers[widget.id])
            });
          }
        }
      }
      return found;
    },
    { openers: OPENERS }
  );
  expect(panels.map(p => p.id).sort()).toEqual(Object.keys(OPENERS).sort());
  for (const panel of panels) {
    expect(panel.caption, panel.id).toMatch(/^VisionLens [A-Z][a-z]+( [a-zA-Z]+)*$/);
    const name = panel.caption.replace(/^VisionLens /, '');
    expect(panel.command, panel.id).toBe(`VisionLens: Open ${name}`);
    expect(panel.icon, panel.id).not.toBeNull();
  }
  const icons = panels.map(p => p.icon);
  expect(new Set(icons).size).toBe(icons.length);
});
