/**
 * Galata's `test` with a patient application-ready wait.
 *
 * Galata waits 15 s for the Launcher to become the current tab once the
 * splash screen is gone. `make test` runs the UI tests beside pytest on a
 * two-core machine, and a page loaded while the Python suite is busy can take
 * longer than that to restore its layout: the test then failed before it
 * began. The wait here is the same condition with a minute to meet it.
 */
import { expect, IJupyterLabPage, test as galataTest } from '@jupyterlab/galata';
import { Page } from '@playwright/test';

/** How long a page may take to show its Launcher (ms). */
const APPLICATION_READY_MS = 60000;

export const test = galataTest.extend({
  // Playwright reads a fixture's dependencies from its first parameter,
  // which must be a destructuring pattern even when it needs none.
  // eslint-disable-next-line no-empty-pattern
  waitForApplication: async ({}, use) => {
    const waitIsReady = async (page: Page, helpers: IJupyterLabPage): Promise<void> => {
      await page
        .locator('#jupyterlab-splash')
        .waitFor({ state: 'detached', timeout: APPLICATION_READY_MS });
      await helpers.waitForCondition(
        () => helpers.activity.isTabActive('Launcher'),
        APPLICATION_READY_MS
      );
      if (!(await helpers.isInSimpleMode())) {
        await helpers.activity.activateTab('Launcher');
      }
    };
    await use(waitIsReady);
  }
});

export { expect };
