/**
 * The Label Studio round trip from the grid, against a real Label Studio
 * server this file starts (loopback, its own folder, stopped by its process
 * group): "Label Studio…" sends the grid's selection to a new project (the
 * dialog links to it), an annotator relabels a box through label-studio-sdk
 * (tests/labelstudio_annotator.py, Label Studio's own interpreter), and
 * "Take back…" lists that change and applies it only when asked. Its own
 * dataset, so the other tests' counts stay.
 */
import { expect, test } from './fixtures';
import { APIRequestContext } from '@playwright/test';
import { ChildProcess, execFileSync, spawn } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';

import {
  api,
  clickToolbarItem,
  ingestAnew,
  openGrid,
  runEnv
} from './helpers';

const NAME = 'ui-labelstudio';
const REPO = path.resolve(__dirname, '..', '..');
const LABEL_STUDIO =
  process.env.VISIONLENS_LABEL_STUDIO ||
  path.join(REPO, '.venv', 'labelstudio', 'bin', 'label-studio');
const SMALL = path.join(runEnv('VISIONLENS_DATA_DIR'), 'ui-sources', 'small20');

interface ILabelStudio {
  url: string;
  token: string;
  process: ChildProcess;
  dir: string;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Label Studio on loopback with its data in a fresh folder, once its API answers. */
async function startLabelStudio(): Promise<ILabelStudio> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vl-ls-ui-'));
  const port = await freePort();
  const token = crypto.randomBytes(20).toString('hex');
  const log = fs.openSync(path.join(dir, 'label-studio.log'), 'w');
  const args = [
    'start',
    '--no-browser',
    '--internal-host',
    '127.0.0.1',
    '--port',
    String(port)
  ];
  args.push(
    '--username',
    'annotator@example.com',
    '--password',
    crypto.randomBytes(8).toString('hex')
  );
  args.push('--user-token', token, '--enable-legacy-api-token');
  const child = spawn(LABEL_STUDIO, args, {
    cwd: dir,
    env: {
      ...process.env,
      LABEL_STUDIO_BASE_DATA_DIR: dir,
      LATEST_VERSION_CHECK: 'false',
      HOME: dir
    },
    stdio: ['ignore', log, log],
    detached: true // its own process group: stopped as one
  });
  const ls = { url: `http://127.0.0.1:${port}`, token, process: child, dir };
  const deadline = Date.now() + 600_000;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(
        `Label Studio exited: ${fs.readFileSync(path.join(dir, 'label-studio.log'), 'utf-8').slice(-2000)}`
      );
    }
    try {
      const r = await fetch(`${ls.url}/api/current-user/whoami`, {
        headers: { Authorization: `Token ${token}` }
      });
      if (r.ok) {
        return ls;
      }
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      stopLabelStudio(ls);
      throw new Error('Label Studio did not answer in 10 minutes');
    }
    await new Promise(r => setTimeout(r, 1000));
  }
}

function stopLabelStudio(ls: ILabelStudio): void {
  if (ls.process.exitCode === null && ls.process.pid) {
    process.kill(-ls.process.pid, 'SIGTERM');
  }
  fs.rmSync(ls.dir, { recursive: true, force: true });
}

async function freshDataset(request: APIRequestContext): Promise<void> {
  const images = fs.readFileSync(path.join(SMALL, 'IMAGES'), 'utf-8');
  await ingestAnew(request, NAME, path.join(SMALL, 'instances.json'), images);
}

test.describe('Label Studio round trip', () => {
  test.use({ autoGoto: true });
  test.setTimeout(900 * 1000);
  let ls: ILabelStudio;

  test.beforeAll(async () => {
    test.setTimeout(700 * 1000);
    ls = await startLabelStudio();
  });

  test.afterAll(() => {
    if (ls) {
      stopLabelStudio(ls);
    }
  });

  test('send the selection, an annotator relabels a box, take it back', async ({
    page,
    request
  }) => {
    await freshDataset(request);
    const grid = await openGrid(page, NAME);
    const tiles = grid.locator('.jp-VisionLens-tile[data-sample-id]');
    await tiles.nth(0).click();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('Space');
    await expect(
      grid.locator('.jp-VisionLens-tile[aria-selected="true"]')
    ).toHaveCount(2);
    const picked = await tiles.evaluateAll(els =>
      els.slice(0, 2).map(e => Number((e as HTMLElement).dataset.sampleId))
    );

    // send: the form, then the project's link
    await clickToolbarItem(
      page,
      grid.locator('.jp-VisionLens-gridShownBar'),
      '.jp-VisionLens-labelStudio'
    );
    const dialog = page.locator('.jp-Dialog');
    await dialog.locator('.jp-VisionLens-lsUrl').fill(ls.url);
    await dialog.locator('.jp-VisionLens-lsToken').fill(ls.token);
    await dialog.locator('.jp-VisionLens-lsTitle').fill('<b>ui</b> round trip');
    await dialog.getByRole('button', { name: 'Send' }).click();
    const link = page.locator('.jp-VisionLens-lsProjectLink');
    await expect(link).toHaveText(/^Open project \d+ in Label Studio$/, {
      timeout: 120000
    });
    const project = Number((await link.textContent())!.match(/\d+/)![0]);
    await expect(link).toHaveAttribute('href', `${ls.url}/projects/${project}`);
    await expect(page.locator('.jp-Dialog')).toContainText('2 tasks');
    await page.locator('.jp-Dialog .jp-Dialog-button.jp-mod-accept').click();

    // an annotator relabels one box of the first sample
    const sample = await api(request, `datasets/${NAME}/samples/${picked[0]}`);
    const box = sample.annotations.find(
      (a: { source: string }) => a.source === 'ground_truth'
    );
    const classes: string[] = (await api(request, `datasets/${NAME}`))
      .categories;
    const other = classes.find(c => c !== box.label)!;
    execFileSync(
      path.join(path.dirname(LABEL_STUDIO), 'python'),
      [
        path.join(REPO, 'tests', 'labelstudio_annotator.py'),
        ls.url,
        ls.token,
        String(project)
      ],
      {
        input: JSON.stringify([
          { sample_id: picked[0], relabel: `vl-${box.ann_id}`, label: other }
        ])
      }
    );

    // take it back: the form remembers where Label Studio is; the change listed, then applied
    await clickToolbarItem(
      page,
      grid.locator('.jp-VisionLens-gridShownBar'),
      '.jp-VisionLens-labelStudio'
    );
    await expect(dialog.locator('.jp-VisionLens-lsUrl')).toHaveValue(ls.url);
    await dialog.locator('.jp-VisionLens-lsProject').fill(String(project));
    await dialog.getByRole('button', { name: 'Take back…' }).click();
    await expect(page.locator('.jp-VisionLens-lsSummary')).toHaveText(
      '2 of 2 tasks annotated: 0 added, 0 deleted, 1 relabelled, 0 moved, 0 reshaped.',
      { timeout: 60000 }
    );
    await expect(page.locator('.jp-VisionLens-lsChanges li')).toHaveText([
      `relabel object ${box.ann_id} to ${other}`
    ]);
    const label = async () =>
      (
        await api(request, `datasets/${NAME}/samples/${picked[0]}`)
      ).annotations.find((a: { ann_id: number }) => a.ann_id === box.ann_id)
        .label;
    expect(await label()).toBe(box.label); // nothing written before "Apply"
    await page
      .locator('.jp-Dialog')
      .getByRole('button', { name: 'Apply 1 edit' })
      .click();
    await expect(page.locator('.jp-Dialog')).toContainText(
      '1 edit applied as edit'
    );
    expect(await label()).toBe(other);
  });
});
