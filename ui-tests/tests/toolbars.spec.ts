/**
 * The panels' toolbars are JupyterLab's reactive toolbars (src/ui/toolbar.ts):
 * at JupyterLab's default sidebar width no button label is cut, the items
 * that do not fit are in the "…" menu, and the sample view's ←/→ are
 * keybindings of commands (schema/sample.json).
 */
import { expect, test } from './fixtures';
import type { Locator } from '@playwright/test';

import {
  clickToolbarItem,
  command,
  fmt,
  openGrid,
  SAMPLE_IN_TAB,
  serverTotal,
  toolbarItem
} from './helpers';

// The sample view in its own tab (`#visionlens-sample-main`), not over the grid.
test.use({ mockSettings: SAMPLE_IN_TAB });

const DEMO = 'demo';

/**
 * The toolbars under `root` with every shown item, button or label that
 * sticks out of its toolbar or is narrower than its text.
 */
async function cutItems(
  root: Locator
): Promise<{ toolbars: number; cut: string[] }> {
  return root.evaluate(node => {
    const cut: string[] = [];
    const toolbars = [
      ...node.querySelectorAll<HTMLElement>('.jp-VisionLens-toolbar')
    ].filter(t => t.offsetParent !== null);
    for (const toolbar of toolbars) {
      const bar = toolbar.getBoundingClientRect();
      for (const item of toolbar.querySelectorAll<HTMLElement>(
        ':scope > .jp-Toolbar-item'
      )) {
        if (
          item.offsetParent === null ||
          item.classList.contains('jp-Toolbar-spacer')
        ) {
          continue;
        }
        const box = item.getBoundingClientRect();
        const name = item.className;
        if (box.left < bar.left - 0.5 || box.right > bar.right + 0.5) {
          cut.push(`${name}: outside its toolbar`);
        }
        for (const label of item.querySelectorAll<HTMLElement>(
          '.jp-ToolbarButtonComponent-label, .jp-ToolbarButtonComponent'
        )) {
          if (label.scrollWidth > label.clientWidth) {
            cut.push(`${name}: ${label.textContent} cut`);
          }
          const own = label.getBoundingClientRect();
          if (own.right > box.right + 0.5) {
            cut.push(`${name}: ${label.textContent} past its item`);
          }
        }
      }
    }
    return { toolbars: toolbars.length, cut };
  });
}

test.describe('Toolbars', () => {
  test('no toolbar label is cut at the default sidebar width', async ({
    page
  }) => {
    const grid = await openGrid(page, DEMO);
    await command(page, 'visionlens:open-filters');
    await command(page, 'visionlens:open-panel');
    const filters = page.locator('#visionlens-filters');
    const datasets = page.locator('#visionlens-datasets');
    // The main actions are in the toolbars themselves, not in their menus.
    await expect(grid.locator('.jp-VisionLens-selectAll')).toBeVisible();
    await expect(grid.locator('.jp-VisionLens-openFilters')).toBeVisible();
    await expect(filters.locator('.jp-VisionLens-clearAll')).toBeVisible();
    await expect(
      datasets.locator('.jp-VisionLens-openDataset').first()
    ).toBeVisible();
    for (const root of [grid, filters, datasets]) {
      // The toolbars place their items after a resize, throttled.
      await expect
        .poll(() => cutItems(root))
        .toEqual({
          toolbars: expect.any(Number),
          cut: []
        });
      expect((await cutItems(root)).toolbars).toBeGreaterThan(0);
    }
  });

  test('what does not fit is in the "…" menu', async ({ page }) => {
    await command(page, 'visionlens:open-panel');
    const datasets = page.locator('#visionlens-datasets');
    const card = datasets.locator(
      `.jp-VisionLens-datasetCard[data-dataset="${DEMO}"]`
    );
    const actions = card.locator('.jp-VisionLens-cardActions');
    // Six actions never fit a sidebar card: the last ones are in its menu.
    await expect(
      actions.locator('.jp-Toolbar-responsive-opener')
    ).toBeVisible();
    await expect(actions.locator('.jp-VisionLens-delete')).toHaveCount(0);
    const menu = page.locator('.jp-Toolbar-responsive-popup:visible');
    await actions.locator('.jp-Toolbar-responsive-opener').click();
    await expect(menu.locator('.jp-VisionLens-delete')).toBeVisible();
    await expect(menu.locator('.jp-VisionLens-showReport')).toBeVisible();
    await menu.locator('.jp-VisionLens-showReport').click();
    await expect(card.locator('.jp-VisionLens-report')).toBeVisible();
    await actions.locator('.jp-Toolbar-responsive-opener').click();
    await expect(menu).toHaveCount(0);

    // A narrow grid: the tagging items move into their menu and still work.
    await page.setViewportSize({ width: 520, height: 800 });
    const grid = await openGrid(page, DEMO);
    await command(page, 'visionlens:clear-selection');
    const tagBar = grid.locator('.jp-VisionLens-gridTagBar');
    await expect(tagBar.locator('.jp-Toolbar-responsive-opener')).toBeVisible();
    await expect(tagBar.locator('.jp-VisionLens-untagButton')).toHaveCount(0);
    await tagBar.locator('.jp-Toolbar-responsive-opener').click();
    await expect(menu.locator('.jp-VisionLens-untagButton')).toBeVisible();
    await (
      await toolbarItem(page, tagBar, '.jp-VisionLens-tagInput')
    ).fill('toolbar-menu-tag');
    await clickToolbarItem(page, tagBar, '.jp-VisionLens-tagButton');
    await expect(page.locator('.jp-VisionLens-tagStatus')).toHaveText(
      'Select samples first.'
    );
    await expect.poll(async () => (await cutItems(grid)).cut).toEqual([]);
  });

  test('the "…" menu closes on Escape and on a click outside it', async ({
    page
  }) => {
    await page.setViewportSize({ width: 520, height: 800 });
    const grid = await openGrid(page, DEMO);
    const tagBar = grid.locator('.jp-VisionLens-gridTagBar');
    const opener = tagBar.locator('.jp-Toolbar-responsive-opener');
    const menu = page.locator('.jp-Toolbar-responsive-popup:visible');
    await expect(opener).toBeVisible();
    await opener.click();
    await expect(menu).toHaveCount(1);
    // A press inside the menu keeps it open (whichever items it holds).
    await menu.click({ position: { x: 2, y: 2 } });
    await expect(menu).toHaveCount(1);
    await page.keyboard.press('Escape');
    await expect(menu).toHaveCount(0);
    // The grid is still there: Escape closed the menu only.
    await expect(grid).toBeVisible();
    await opener.click();
    await expect(menu).toHaveCount(1);
    // a press low in the grid, away from the menu under the toolbar
    const box = (await grid.boundingBox())!;
    await page.mouse.click(box.x + box.width / 2, box.y + box.height - 24);
    await expect(menu).toHaveCount(0);
    await opener.click();
    await expect(menu).toHaveCount(1);
    await opener.click();
    await expect(menu).toHaveCount(0);
  });

  test('←/→ in the sample view step samples through its keybindings', async ({
    page,
    request
  }) => {
    const bindings = await page.evaluate(() =>
      (window as any).jupyterapp.commands.keyBindings
        .filter((b: any) => b.command.startsWith('visionlens:sample-'))
        .map((b: any) => `${b.command} ${b.keys.join(' ')} ${b.selector}`)
    );
    expect(bindings.sort()).toEqual([
      'visionlens:sample-brush-larger ] .jp-VisionLens-sample.jp-VisionLens-mod-brushing',
      'visionlens:sample-brush-smaller [ .jp-VisionLens-sample.jp-VisionLens-mod-brushing',
      'visionlens:sample-close Escape .jp-VisionLens-sample:focus',
      'visionlens:sample-close Escape body.jp-VisionLens-mod-sampleOverlay',
      'visionlens:sample-delete-object Backspace .jp-VisionLens-sample',
      'visionlens:sample-delete-object Delete .jp-VisionLens-sample',
      'visionlens:sample-draw-box B .jp-VisionLens-sample',
      'visionlens:sample-draw-keypoints K .jp-VisionLens-sample',
      'visionlens:sample-draw-polygon P .jp-VisionLens-sample',
      'visionlens:sample-draw-polyline L .jp-VisionLens-sample',
      'visionlens:sample-draw-rotated-box R .jp-VisionLens-sample',
      'visionlens:sample-keypoints-finish Enter .jp-VisionLens-sample.jp-VisionLens-mod-keypoints',
      'visionlens:sample-keypoints-skip S .jp-VisionLens-sample.jp-VisionLens-mod-keypoints',
      'visionlens:sample-keypoints-undo-point Shift Backspace .jp-VisionLens-sample.jp-VisionLens-mod-keypoints',
      'visionlens:sample-mask-accept Enter .jp-VisionLens-sample.jp-VisionLens-mod-masking',
      'visionlens:sample-mask-brush U .jp-VisionLens-sample',
      'visionlens:sample-mask-eraser E .jp-VisionLens-sample',
      'visionlens:sample-mask-to-selected Shift Enter .jp-VisionLens-sample.jp-VisionLens-mod-masking',
      'visionlens:sample-mask-tool M .jp-VisionLens-sample',
      'visionlens:sample-mask-undo-click Shift Backspace .jp-VisionLens-sample.jp-VisionLens-mod-masking',
      'visionlens:sample-next ArrowRight .jp-VisionLens-sample',
      'visionlens:sample-next Shift ArrowRight .jp-VisionLens-sample',
      'visionlens:sample-polygon-close Enter .jp-VisionLens-sample.jp-VisionLens-mod-polygon',
      'visionlens:sample-polygon-undo-point Shift Backspace .jp-VisionLens-sample.jp-VisionLens-mod-polygon',
      'visionlens:sample-polyline-finish Enter .jp-VisionLens-sample.jp-VisionLens-mod-polyline',
      'visionlens:sample-polyline-undo-point Shift Backspace .jp-VisionLens-sample.jp-VisionLens-mod-polyline',
      'visionlens:sample-previous ArrowLeft .jp-VisionLens-sample',
      'visionlens:sample-previous Shift ArrowLeft .jp-VisionLens-sample',
      'visionlens:sample-redo-edit Ctrl Shift Z .jp-VisionLens-sample',
      'visionlens:sample-rotate-object Shift [ .jp-VisionLens-sample',
      'visionlens:sample-rotate-object Shift ] .jp-VisionLens-sample',
      'visionlens:sample-rotate-object [ .jp-VisionLens-sample',
      'visionlens:sample-rotate-object ] .jp-VisionLens-sample',
      'visionlens:sample-undo-edit Ctrl Z .jp-VisionLens-sample'
    ]);
    const grid = await openGrid(page, DEMO);
    await command(page, 'visionlens:clear-filters');
    const total = fmt(await serverTotal(request, DEMO, {}));
    // A toolbar moves the focus on arrow keys, but not out of a slider.
    const size = await toolbarItem(
      page,
      grid.locator('.jp-VisionLens-gridTagBar'),
      '.jp-VisionLens-tileSize'
    );
    await size.fill('192');
    await size.focus();
    await page.keyboard.press('ArrowRight');
    await expect(size).toHaveValue('208');
    await expect(size).toBeFocused();
    await grid.locator('.jp-VisionLens-tile[data-index="0"]').dblclick();
    const view = page.locator('#visionlens-sample-main');
    const position = view.locator('.jp-VisionLens-samplePosition');
    await expect(position).toHaveText(`1 of ${total}`);
    await view.locator('.jp-VisionLens-sample').focus();
    await page.keyboard.press('ArrowRight');
    await expect(position).toHaveText(`2 of ${total}`);
    await page.keyboard.press('ArrowLeft');
    await expect(position).toHaveText(`1 of ${total}`);
    // In the tag input the arrows move the caret (a binding would prevent that).
    const input = view.locator('.jp-VisionLens-tagInput');
    await input.focus();
    await page.keyboard.type('ab');
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.type('c');
    await expect(input).toHaveValue('acb');
    await input.fill('');
  });
});
