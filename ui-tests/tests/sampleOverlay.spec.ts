/**
 * The sample view over the grid (FiftyOne's modal, the default of the
 * setting "Open samples in"): a tile opens it over the grid panel with that
 * sample, → shows the next sample of the grid's order (here across a page of
 * the grid's queries), Escape closes it and focuses the tile of the sample
 * shown last. The grid's keys are commands listed in the shortcut settings.
 */
import { galata } from '@jupyterlab/galata';
import { expect, test } from './fixtures';

import { api, command, fmt, openGrid, serverTotal } from './helpers';

const DEMO = 'demo';
/** The grid asks for pages of 20 samples: tiles 19 and 20 are on two pages. */
const PAGE = 20;

test.use({
  mockSettings: {
    ...galata.DEFAULT_SETTINGS,
    'visionlens_jlab:grid': { pageSize: PAGE }
  }
});

test.describe('the sample view over the grid', () => {
  test('a tile opens over the grid, → steps in its order, Escape focuses the tile', async ({
    page,
    request
  }) => {
    const grid = await openGrid(page, DEMO);
    await command(page, 'visionlens:clear-filters');
    const total = fmt(await serverTotal(request, DEMO, {}));
    const tile = (i: number) =>
      grid.locator(`.jp-VisionLens-tile[data-index="${i}"]`);
    const idOf = async (i: number) =>
      Number(await tile(i).getAttribute('data-sample-id'));
    const nameOf = async (id: number) =>
      (await api(request, `datasets/${DEMO}/samples/${id}`)).file_name;

    await tile(PAGE - 1).scrollIntoViewIfNeeded();
    const opened = await idOf(PAGE - 1);
    await tile(PAGE - 1).dblclick();

    const overlay = grid.locator('#visionlens-sample-overlay');
    await expect(overlay).toBeVisible();
    const position = overlay.locator('.jp-VisionLens-samplePosition');
    const name = overlay.locator('.jp-VisionLens-sampleName');
    await expect(position).toHaveText(`${PAGE} of ${total}`);
    await expect(name).toHaveText(await nameOf(opened));
    // Over the grid panel, not in a tab of its own.
    const gridBox = await grid.locator('.jp-VisionLens-grid').boundingBox();
    expect(await overlay.boundingBox()).toEqual(gridBox);
    await expect(page.locator('#visionlens-sample-main')).toHaveCount(0);
    await expect(overlay.locator('.jp-VisionLens-sample')).toBeFocused();

    await page.keyboard.press('ArrowRight');
    await expect(position).toHaveText(`${PAGE + 1} of ${total}`);
    const shown = await name.textContent();
    await page.keyboard.press('ArrowLeft');
    await expect(position).toHaveText(`${PAGE} of ${total}`);
    await page.keyboard.press('ArrowRight');
    await expect(position).toHaveText(`${PAGE + 1} of ${total}`);

    await page.keyboard.press('Escape');
    await expect(overlay).toBeHidden();
    await expect(tile(PAGE)).toBeFocused();
    await expect(tile(PAGE)).toBeInViewport();
    // The sample → showed is the grid's next tile.
    expect(await nameOf(await idOf(PAGE))).toBe(shown);

    // Enter on the focused tile opens it again, over the grid.
    await page.keyboard.press('Enter');
    await expect(overlay).toBeVisible();
    await expect(position).toHaveText(`${PAGE + 1} of ${total}`);
    await overlay.locator('.jp-VisionLens-sampleOverlayClose').click();
    await expect(overlay).toBeHidden();
    await expect(tile(PAGE)).toBeFocused();
  });

  test('opening a sample leaves the selection as it was', async ({ page }) => {
    const grid = await openGrid(page, DEMO);
    await command(page, 'visionlens:clear-filters');
    await command(page, 'visionlens:clear-selection');
    const tile = (i: number) =>
      grid.locator(`.jp-VisionLens-tile[data-index="${i}"]`);
    const count = grid.locator('.jp-VisionLens-selectionCount');
    const overlay = grid.locator('#visionlens-sample-overlay');
    const openAndClose = async (i: number) => {
      await tile(i).dblclick();
      await expect(overlay).toBeVisible();
      await page.keyboard.press('Escape');
      await expect(overlay).toBeHidden();
    };

    // Nothing selected: opening selects nothing (Export offers no "1 selected").
    await openAndClose(3);
    await expect(count).toHaveAttribute('data-count', '0');
    await expect(tile(3)).toHaveAttribute('aria-selected', 'false');

    // Two selected: opening a third keeps those two, and only them.
    await tile(0).click();
    await tile(1).click({ modifiers: ['Control'] });
    await expect(count).toHaveText('2 selected');
    await openAndClose(3);
    await expect(count).toHaveText('2 selected');
    await expect(tile(3)).toHaveAttribute('aria-selected', 'false');
    await expect(tile(0)).toHaveAttribute('aria-selected', 'true');
    await expect(tile(1)).toHaveAttribute('aria-selected', 'true');
    await command(page, 'visionlens:clear-selection');
  });

  test('the image fits its stage again when only the stage changes size', async ({
    page
  }) => {
    const grid = await openGrid(page, DEMO);
    await grid.locator('.jp-VisionLens-tile[data-index="0"]').dblclick();
    const stage = grid.locator('#visionlens-sample-overlay .jp-VisionLens-stage');
    const image = stage.locator('img.jp-VisionLens-fullImage');
    await expect(image).toHaveJSProperty('complete', true);
    // Fitted: inside the stage, touching it on one side.
    const fitted = async (): Promise<boolean> => {
      const s = (await stage.boundingBox())!;
      const c = (await image.boundingBox())!;
      const inside = c.width <= s.width + 1 && c.height <= s.height + 1;
      return inside && (s.width - c.width < 1 || s.height - c.height < 1);
    };
    await expect.poll(fitted).toBe(true);
    // A size change no Lumino message reports (a style, as when a neighbour grows).
    await stage.evaluate(el => {
      el.style.flex = '0 0 auto';
      el.style.height = `${Math.round(el.clientHeight / 2)}px`;
    });
    await expect.poll(fitted).toBe(true);
  });

  test('Escape closes it wherever the focus is, once a dialog, a menu or a field had its Escape', async ({
    page
  }) => {
    const grid = await openGrid(page, DEMO);
    const overlay = grid.locator('#visionlens-sample-overlay');
    const view = overlay.locator('.jp-VisionLens-sample');
    const tile = grid.locator('.jp-VisionLens-tile[data-index="0"]');
    const open = async () => {
      await tile.dblclick();
      await expect(overlay).toBeVisible();
    };
    const escapeCloses = async () => {
      await page.keyboard.press('Escape');
      await expect(overlay).toBeHidden();
      await expect(tile).toBeFocused();
    };

    // after a click on a toolbar button
    await open();
    await overlay.locator('.jp-VisionLens-fit').click();
    await escapeCloses();
    // on a field of the side panel
    await open();
    const pin = overlay
      .locator('.jp-VisionLens-fieldsTable input[type="checkbox"]')
      .first();
    await pin.click();
    await expect(pin).toBeFocused();
    await escapeCloses();
    await open();
    await pin.click(); // as it was
    await escapeCloses();
    // with nothing focused
    await open();
    await page.evaluate(() => (document.activeElement as HTMLElement).blur());
    await escapeCloses();

    await open();
    // a dialog's Escape closes the dialog only
    await page.evaluate(() => {
      void (window as any).jupyterapp.commands.execute('help:about');
    });
    const dialog = page.locator('.jp-Dialog');
    await expect(dialog).toBeVisible();
    // (the dialog takes the focus once attached: its Escape is heard from then on)
    await expect
      .poll(() => page.evaluate(() => !!document.activeElement?.closest('.jp-Dialog')))
      .toBe(true);
    await page.keyboard.press('Escape');
    await expect(dialog).toBeHidden();
    await expect(overlay).toBeVisible();
    // a menu's closes the menu only
    await page.locator('.lm-MenuBar-item', { hasText: 'File' }).click();
    const menu = page.locator('.lm-Menu');
    await expect(menu).toBeVisible();
    await page.keyboard.press('Escape');
    await expect(menu).toBeHidden();
    await expect(overlay).toBeVisible();
    // a text field's cancels what was typed and leaves the field
    const tagInput = overlay.locator('.jp-VisionLens-tagInput');
    await tagInput.fill('half-typed');
    await page.keyboard.press('Escape');
    await expect(tagInput).toHaveValue('');
    await expect(view).toBeFocused();
    await expect(overlay).toBeVisible();
    // then Escape closes the overlay
    await escapeCloses();
  });

  test('the grid keys are commands listed in the shortcut settings', async ({
    page
  }) => {
    await openGrid(page, DEMO);
    const found = await page.evaluate(async () => {
      const app = (window as any).jupyterapp;
      const plugin = await app.serviceManager.settings.fetch(
        'visionlens_jlab:grid'
      );
      const line = (b: any) => `${b.command} ${b.keys.join(' ')}`;
      const listed = plugin.schema['jupyter.lab.shortcuts'] as any[];
      return {
        listed: listed.map(line),
        bound: app.commands.keyBindings
          .filter((b: any) => b.selector === '.jp-VisionLens-gridScroller')
          .map(line),
        labels: listed.map((b: any) => app.commands.label(b.command))
      };
    });
    const keys = [
      'visionlens:grid-toggle-selected Space',
      'visionlens:grid-tag T',
      'visionlens:grid-open-sample Enter',
      'visionlens:grid-page-down PageDown',
      'visionlens:grid-page-up PageUp'
    ];
    for (const key of keys) {
      expect(found.listed).toContain(key);
      expect(found.bound).toContain(key);
    }
    // The shortcut editor shows each command by its label.
    expect(found.labels.filter((label: string) => !label)).toEqual([]);
  });
});
