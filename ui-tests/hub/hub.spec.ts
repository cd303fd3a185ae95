/**
 * VisionLens under a real JupyterHub, prefix `/@/space%20word/`
 * (playwright-hub.config.js): log in through the dummy authenticator, open
 * JupyterLab at the user's URL, open the datasets panel and the grid; the
 * user's dataset is listed and its thumbnails load through the proxy. On a
 * failure the hub's log is attached and printed.
 */
import { expect, Page, test } from '@playwright/test';
import * as fs from 'fs';

interface IHubState {
  hub: string;
  user: string;
  server: string;
  dataset: string;
  samples: number;
  log: string;
}

function hubState(): IHubState {
  const file = process.env.VISIONLENS_HUB_UI_STATE;
  if (!file) {
    throw new Error(
      'run with `jlpm test:hub` in ui-tests/ (it starts the hub)'
    );
  }
  return JSON.parse(fs.readFileSync(file, 'utf-8'));
}

async function command(
  page: Page,
  id: string,
  args: object = {}
): Promise<void> {
  await page.waitForFunction(
    id => (window as any).jupyterapp?.commands.hasCommand(id),
    id,
    { timeout: 120000 }
  );
  await page.evaluate(
    async ({ id, args }) => {
      const app = (window as any).jupyterapp;
      await app.restored; // else restoring the layout may hide the panel again
      await app.commands.execute(id, args);
    },
    { id, args }
  );
}

// Playwright wants the fixtures object even when a hook uses none.
// eslint-disable-next-line no-empty-pattern
test.afterEach(async ({}, testInfo) => {
  if (testInfo.status !== testInfo.expectedStatus) {
    const log = fs.readFileSync(hubState().log, 'utf-8').slice(-30000);
    console.log(`JupyterHub log (last 30,000 characters):\n${log}`);
    await testInfo.attach('jupyterhub.log', {
      body: log,
      contentType: 'text/plain'
    });
  }
});

test('a hub user logs in and browses their dataset in JupyterLab', async ({
  page
}) => {
  const state = hubState();
  expect(state.hub).toContain('/@/space%20word/');

  await page.goto(`${state.hub}hub/login`);
  await page.locator('#username_input').fill(state.user);
  await page
    .locator('#password_input')
    .fill('any password: the dummy authenticator');
  await page.locator('#login_submit').click();
  await page.waitForURL(url => !url.pathname.endsWith('/hub/login'));

  // Every VisionLens request goes under the user's prefixed URL.
  const prefix = new URL(`${state.server}visionlens/api/`).pathname;
  const answered: string[] = [];
  page.on('response', response => {
    const path = new URL(response.url()).pathname;
    if (path.includes('/visionlens/api/')) {
      answered.push(`${response.status()} ${path}`);
    }
  });

  await page.goto(`${state.server}lab`);
  await command(page, 'visionlens:open-panel');
  const datasets = page.locator('#visionlens-datasets');
  await expect(datasets).toBeVisible();
  // its card (the ingest form's dataset picker lists the name too)
  await expect(
    datasets.locator('.jp-VisionLens-datasetName', {
      hasText: new RegExp(`^${state.dataset}$`)
    })
  ).toBeVisible();

  await command(page, 'visionlens:open-grid', { dataset: state.dataset });
  const grid = page.locator('#visionlens-grid-main');
  await expect(grid.locator('.jp-VisionLens-count')).toContainText(
    `${state.samples}`
  );
  const tiles = grid.locator('.jp-VisionLens-tile[data-sample-id] img');
  await expect(tiles.first()).toBeVisible();
  // Thumbnails really loaded (decoded images), through the hub's proxy.
  await expect
    .poll(() =>
      tiles.evaluateAll(
        imgs =>
          imgs.filter(
            img =>
              (img as HTMLImageElement).complete &&
              (img as HTMLImageElement).naturalWidth > 0
          ).length
      )
    )
    .toBeGreaterThan(0);

  expect(answered.length).toBeGreaterThan(0);
  for (const line of answered) {
    const [status, path] = line.split(' ');
    expect(path.startsWith(prefix), line).toBe(true);
    // No refusal or server error; the one expected 404 is the documented
    // "no duplicates computed yet" answer the grid asks for.
    const expected404 = status === '404' && path.endsWith('/duplicates');
    expect(Number(status) < 400 || expected404, line).toBe(true);
  }
  expect(answered.some(line => line.includes('/image'))).toBe(true);
});
