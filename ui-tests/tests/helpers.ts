/**
 * Helpers shared by the VisionLens UI tests: REST calls with the server's
 * token, opening panels, waiting for exact counts, saving screenshots.
 */
import { galata, IJupyterLabPageFixture } from '@jupyterlab/galata';
import { APIRequestContext, expect, Locator } from '@playwright/test';
import * as fs from 'fs';
import * as path from 'path';

/**
 * Where screenshots go: a build folder (git-ignored), never over the tracked
 * ones in docs/ (`make screenshots` copies them there on purpose).
 */
export const SCREENSHOTS = path.resolve(__dirname, '..', '..', 'build', 'screenshots');

/**
 * Settings under which a sample opens in a tab of its own
 * (`#visionlens-sample-main`) instead of over the grid (the default): for
 * `test.use({ mockSettings: SAMPLE_IN_TAB })` in the specs of that tab.
 */
export const SAMPLE_IN_TAB = {
  ...galata.DEFAULT_SETTINGS,
  'visionlens_jlab:sample': { openIn: 'tab' }
};

/**
 * The name the ingest form suggests for a file in `folder` whose own name says
 * only what kind of file it is (instances.json, detections.json): the folder's
 * (src/features/datasets/suggestName.ts).
 */
export function suggestedName(folder: string): string {
  return path.basename(folder).replace(/[^A-Za-z0-9._-]+/g, '-');
}

/** A variable playwright.config.js sets for the run (there is no default server). */
export function runEnv(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set: run the UI tests with \`jlpm test\` in ui-tests/`);
  }
  return value;
}

/** The run's own server and its token (the test server runs without a token). */
const BASE = runEnv('TARGET_URL');
const TOKEN = process.env.JUPYTER_TOKEN ?? '';

function apiUrl(endpoint: string): string {
  const url = `${BASE}/visionlens/api/${endpoint}`;
  return TOKEN ? `${url}${url.includes('?') ? '&' : '?'}token=${TOKEN}` : url;
}

/** GET or POST the VisionLens REST API and return the JSON answer. */
export async function api<T = any>(
  request: APIRequestContext,
  endpoint: string,
  body?: unknown
): Promise<T> {
  const response =
    body === undefined
      ? await request.get(apiUrl(endpoint))
      : await request.post(apiUrl(endpoint), { data: body });
  expect(response.ok(), `${endpoint}: ${await response.text()}`).toBeTruthy();
  return (await response.json()) as T;
}

/** The first sample of `dataset` and its objects, as the server has them now. */
export async function firstSampleObjects<T>(
  request: APIRequestContext,
  dataset: string
): Promise<{ id: number; anns: T[] }> {
  const { samples } = await api(request, `datasets/${dataset}/samples/query`, {
    filter: {},
    offset: 0,
    limit: 1
  });
  const id = samples[0].sample_id;
  const sample = await api(request, `datasets/${dataset}/samples/${id}`);
  return { id, anns: sample.annotations };
}

/** The status code of a GET of the VisionLens REST API (for answers without JSON). */
export async function apiStatus(request: APIRequestContext, endpoint: string): Promise<number> {
  return (await request.get(apiUrl(endpoint))).status();
}

/** The server's exact total for a filter. */
export async function serverTotal(
  request: APIRequestContext,
  dataset: string,
  filter: unknown
): Promise<number> {
  const page = await api(request, `datasets/${dataset}/samples/query`, {
    filter,
    offset: 0,
    limit: 0
  });
  return page.total;
}

/** "12,345" as the UI prints it. */
export function fmt(n: number): string {
  return n.toLocaleString('en-US');
}

/** Run a JupyterLab command in the page. */
export async function command(
  page: IJupyterLabPageFixture,
  id: string,
  args: Record<string, unknown> = {}
): Promise<void> {
  await page.waitForFunction(
    id => (window as any).jupyterapp?.commands.hasCommand(id),
    id
  );
  await page.evaluate(
    async ({ id, args }) => {
      await (window as any).jupyterapp.commands.execute(id, args);
    },
    { id, args }
  );
}

/**
 * Show a sidebar panel and wait until it is visible. The shell activates it:
 * galata's `sidebar.openTab` clicks the tab after reading whether it is open,
 * and a layout restored between the read and the click (seen under CI load)
 * turns that click into a close.
 */
export async function openSidebar(
  page: IJupyterLabPageFixture,
  id: string
): Promise<Locator> {
  const panel = page.locator(`#${id}`);
  await panel.waitFor({ state: 'attached' });
  await page.evaluate(id => (window as any).jupyterapp.shell.activateById(id), id);
  await expect(panel).toBeVisible();
  return panel;
}

/** Open the grid on a dataset and wait for its exact count. */
export async function openGrid(
  page: IJupyterLabPageFixture,
  dataset: string
): Promise<Locator> {
  await command(page, 'visionlens:open-grid', { dataset });
  const grid = page.locator('#visionlens-grid-main');
  // In a narrow grid the count may sit in its toolbar's "…" menu (the popup
  // lives in the document body, its items stay in the DOM while it is closed).
  const count = grid
    .locator('.jp-VisionLens-count')
    .or(page.locator('.jp-Toolbar-responsive-popup .jp-VisionLens-count'));
  await expect(count).toHaveText(/ of .* samples/);
  await expect(grid.locator('.jp-VisionLens-tile[data-sample-id]').first()).toBeVisible();
  return grid;
}

/**
 * A button or control of a panel toolbar (src/ui/toolbar.ts), wherever the
 * toolbar placed it: in the bar, or in its "…" menu (opened here). Waits
 * until the toolbar has placed it: whole inside the bar, or in the menu.
 */
export async function toolbarItem(
  page: IJupyterLabPageFixture,
  toolbar: Locator,
  selector: string
): Promise<Locator> {
  const inBar = toolbar.locator(selector);
  let place = '';
  await expect
    .poll(async () => {
      if ((await inBar.count()) === 0) {
        place = 'menu'; // moved out of the bar into its popup
      } else {
        // The item may move into the popup (or its card be re-rendered)
        // between the count and this read: then it is still moving.
        const whole = await inBar
          .evaluate(
            el => {
              const bar = el.closest('.jp-VisionLens-toolbar');
              const box = el.getBoundingClientRect();
              return !!bar && box.width > 0 && box.right <= bar.getBoundingClientRect().right + 0.5;
            },
            undefined,
            { timeout: 1000 }
          )
          .catch(() => false);
        place = whole ? 'bar' : 'moving';
      }
      return place;
    })
    .not.toBe('moving');
  if (place === 'bar') {
    return inBar;
  }
  // Every toolbar has its own popup in the document body: this one is the
  // one its "…" button opens.
  const menu = page.locator('.jp-Toolbar-responsive-popup:visible');
  if ((await menu.count()) === 0) {
    await toolbar.locator('.jp-Toolbar-responsive-opener').click();
  }
  return menu.locator(selector);
}

/**
 * Click a toolbar item wherever it is, in its bar or in the bar's "…" popup.
 * A reactive toolbar may move the item after `toolbarItem` found it (its
 * card re-rendered after a dataset event, the bar measured again), so a
 * click that finds nothing in time looks for the item again.
 */
export async function clickToolbarItem(
  page: IJupyterLabPageFixture,
  toolbar: Locator,
  selector: string
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const item = await toolbarItem(page, toolbar, selector);
    try {
      await item.click({ timeout: 5000 });
      return;
    } catch (error) {
      if (attempt === 6) {
        throw error;
      }
    }
  }
}

/**
 * Check or uncheck a checkbox inside a toolbar item, wherever the toolbar put
 * the item (see `clickToolbarItem`: it may move between the bar and its "…"
 * popup after it was found, so a box that is not there in time is looked for
 * again).
 */
export async function setToolbarCheckbox(
  page: IJupyterLabPageFixture,
  toolbar: Locator,
  item: string,
  checkbox: string,
  checked: boolean
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const box = (await toolbarItem(page, toolbar, item)).locator(checkbox);
    try {
      await box.setChecked(checked, { timeout: 5000 });
      return;
    } catch (error) {
      if (attempt === 6) {
        throw error;
      }
    }
  }
}

/**
 * Wait until every visible tile image finished loading (for screenshots). A
 * lazy image hidden or below the viewport may never load: not waited for.
 */
export async function imagesLoaded(locator: Locator): Promise<void> {
  await locator.evaluate(
    root =>
      Promise.all(
        [...root.querySelectorAll('img[src]')].map(img =>
          (img as HTMLImageElement).complete ||
          ((img as HTMLImageElement).loading === 'lazy' &&
            (img.getBoundingClientRect().width === 0 ||
              img.getBoundingClientRect().top > window.innerHeight))
            ? null
            : new Promise(r => {
                img.addEventListener('load', r, { once: true });
                img.addEventListener('error', r, { once: true });
              })
        )
      ),
    undefined,
    { timeout: 20000 }
  );
}

/** Save a small screenshot of a panel into build/screenshots/. */
export async function shot(locator: Locator, name: string): Promise<void> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  // Side panels scroll themselves: show them from the top.
  await locator.evaluate(el => {
    el.scrollTop = 0;
  });
  // Keep the files small: at most 960×560 CSS pixels of the panel.
  const box = await locator.boundingBox();
  if (!box) {
    throw new Error(`${name}: the panel is not visible`);
  }
  await locator.page().screenshot({
    path: path.join(SCREENSHOTS, `${name}.png`),
    animations: 'disabled',
    clip: {
      x: box.x,
      y: box.y,
      width: Math.min(box.width, 960),
      height: Math.min(box.height, 560)
    }
  });
}

/** Switch the JupyterLab theme and wait for it to apply. */
export async function setTheme(page: IJupyterLabPageFixture, dark: boolean): Promise<void> {
  await command(page, 'apputils:change-theme', {
    theme: dark ? 'JupyterLab Dark' : 'JupyterLab Light'
  });
  await expect(page.locator('body')).toHaveAttribute(
    'data-jp-theme-light',
    dark ? 'false' : 'true'
  );
}

/**
 * Run the blind-spots panel's search and wait for the run to end (until
 * then the panel shows the last stored result, which an earlier run may
 * have left); returns its cards, the first one shown.
 */
export async function runBlindSpots(panel: Locator): Promise<Locator> {
  await panel.locator('.jp-VisionLens-bsRun').click();
  await expect(panel.locator('.jp-VisionLens-bsCancel')).toBeVisible();
  await expect(panel.locator('.jp-VisionLens-bsCancel')).toBeHidden({
    timeout: 240 * 1000
  });
  const cards = panel.locator('.jp-VisionLens-bsCard');
  await expect(cards.first()).toBeVisible();
  return cards;
}

/**
 * The grid of `dataset` with no filter, beside the filters panel: where a
 * filter test starts.
 */
export async function openUnfiltered(
  page: IJupyterLabPageFixture,
  dataset: string
): Promise<{ grid: Locator; filters: Locator }> {
  const grid = await openGrid(page, dataset);
  await command(page, 'visionlens:clear-filters');
  return { grid, filters: await openSidebar(page, 'visionlens-filters') };
}

/**
 * The patches view's tile at grid position `index` (0: the first object of the
 * order): the patches view is a virtual grid, so only the rows in view are
 * tiles, and a row scrolled away is hidden and kept for reuse.
 */
export function patchTile(panel: Locator, index: number): Locator {
  return panel.locator(`.jp-VisionLens-patch[data-index="${index}"]:visible`);
}

/** The patches view's tiles showing an object (the rows in view). */
export function patchTiles(panel: Locator): Locator {
  return panel.locator('.jp-VisionLens-patch[data-ann-id]:visible');
}

/** The patches view's count: the server's exact number of objects. */
export function patchesCount(total: number): string {
  return `${fmt(total)} object${total === 1 ? '' : 's'}`;
}

/** The screen point of an image point of the stage. */
export async function screen(
  view: Locator,
  width: number,
  x: number,
  y: number
): Promise<[number, number]> {
  // the stage fits the image once the panel settles: wait for two equal reads
  // (a point computed while it still moves lands off the object on a loaded machine)
  const canvas = view.locator('.jp-VisionLens-canvas');
  let r = await canvas.boundingBox();
  for (let tries = 0; tries < 20; tries++) {
    await view.page().waitForTimeout(50);
    const again = await canvas.boundingBox();
    if (JSON.stringify(again) === JSON.stringify(r)) {
      break;
    }
    r = again;
  }
  const scale = r!.width / width;
  return [r!.x + x * scale, r!.y + y * scale];
}

/** A mouse drag from `from` to `to` (screen points), in a few steps. */
export async function drag(
  page: IJupyterLabPageFixture,
  from: [number, number],
  to: [number, number]
) {
  await page.mouse.move(...from);
  await page.mouse.down();
  await page.mouse.move((from[0] + to[0]) / 2, (from[1] + to[1]) / 2, {
    steps: 3
  });
  await page.mouse.move(...to, { steps: 3 });
  await page.mouse.up();
}

/** Wait until the server's job `job` is done (a minute at most). */
export async function jobDone(
  request: APIRequestContext,
  job: { id: string }
): Promise<void> {
  await expect
    .poll(async () => (await api(request, `jobs/${job.id}`)).status, {
      timeout: 60000
    })
    .toBe('done');
}

/**
 * Ingest a COCO file (or a source of another `format`) as dataset `name`
 * anew (an earlier one of that name is deleted first), its images in
 * `images` (undefined: where the format looks), and wait until the job is done.
 */
export async function ingestAnew(
  request: APIRequestContext,
  name: string,
  source: string,
  images: string | undefined,
  format = 'coco'
): Promise<void> {
  const { datasets } = await api(request, 'datasets');
  if (datasets.some((d: { name: string }) => d.name === name)) {
    await request.delete(
      `${runEnv('TARGET_URL')}/visionlens/api/datasets/${name}`
    );
  }
  const body = { source, name, format, ...(images ? { images } : {}) };
  await jobDone(request, (await api(request, 'datasets', body)).job);
}
