import { expect, test } from '@jupyterlab/galata';
test.use({ autoGoto: true, kernels: null });
test('probe restart', async ({ page, request }) => {
  test.setTimeout(200000);
  await page.notebook.createNew('probe.ipynb');
  await page.notebook.setCell(0, 'code', 'print(1)');
  await page.notebook.runCell(0);
  const kernelId = await page.evaluate(
    () => (window as any).jupyterapp.shell.currentWidget.sessionContext.session.kernel.id
  );
  const restarted = await request.post(`/api/kernels/${kernelId}/restart`);
  expect(restarted.ok()).toBeTruthy();
  await page.waitForTimeout(5000);
  await page.notebook.addCell('code', 'print(2)');
  await page.notebook.runCell(1);
  expect((await page.notebook.getCellTextOutput(1))?.join('')).toContain('2');
});
