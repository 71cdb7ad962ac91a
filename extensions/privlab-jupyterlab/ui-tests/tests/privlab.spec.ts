/**
 * The privacy panel and the file-browser action in a real JupyterLab, on Debian's Chromium.
 *
 * The store is filled through privlab's own Python API (tests/privlab_seed.py); the
 * browser only reads it. Every request to a host other than 127.0.0.1 is aborted and
 * fails the test. Screenshots go to test-artifacts/privlab-jupyterlab/.
 */
import { expect, galata, test as base } from '@jupyterlab/galata';
import { Locator, Page } from '@playwright/test';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const env = process.env;
const artifacts = env.PRIVLAB_UI_ARTIFACTS as string;
const repo = path.resolve(__dirname, '..', '..', '..', '..');
const sample = path.join(repo, 'data_samples', 'patients.csv');
const seedScript = path.resolve(__dirname, '..', '..', 'tests', 'privlab_seed.py');

/** Run privlab through its Python API against the server's store. */
function seed(...args: string[]): void {
  execFileSync(
    env.PRIVLAB_PYTHON || 'python3',
    [seedScript, env.PRIVLAB_HOME as string, ...args],
    { stdio: 'inherit' }
  );
}

/** Requests the browser attempted to any host but 127.0.0.1 (each was aborted). */
const offHost: string[] = [];

const test = base.extend({
  context: async ({ context }, use) => {
    await context.route('**/*', route => {
      const url = new URL(route.request().url());
      if (url.hostname !== '127.0.0.1' && !['data:', 'blob:', 'about:'].includes(url.protocol)) {
        offHost.push(url.href);
        return route.abort('blockedbyclient');
      }
      return route.fallback();
    });
    context.on('page', page => {
      page.on('websocket', ws => {
        if (new URL(ws.url()).hostname !== '127.0.0.1') {
          offHost.push(ws.url());
        }
      });
    });
    await use(context);
  }
});

test.use({
  // no timer in the test: the panel refreshes when shown and when asked to
  mockSettings: {
    ...galata.DEFAULT_SETTINGS,
    'privlab-jupyterlab:plugin': { refreshInterval: 0, nearlySpentThreshold: 0.8 }
  }
});

test.beforeAll(() => {
  // this run's screenshots only
  fs.mkdirSync(artifacts, { recursive: true });
  for (const name of fs.readdirSync(artifacts)) {
    if (name.endsWith('.png')) {
      fs.rmSync(path.join(artifacts, name));
    }
  }
});

test.afterEach(() => {
  expect(offHost, 'requests to hosts other than 127.0.0.1').toEqual([]);
});

/** Close every notification toast, so screenshots show the views. */
async function dismissNotifications(page: Page): Promise<void> {
  await page.evaluate(() =>
    (window as any).jupyterapp.commands.execute('apputils:dismiss-notification', {})
  );
  await expect(page.locator('.Toastify__toast')).toHaveCount(0);
}

async function shot(page: Page, name: string, target?: Locator): Promise<void> {
  const file = path.join(artifacts, `${name}.png`);
  await (target ?? page).screenshot({ path: file });
  expect(fs.statSync(file).size).toBeGreaterThan(1000);
}

test('privacy panel: budgets, releases, audit, profile from the file browser', async ({
  page,
  tmpPath
}) => {
  // a sample registered through privlab's API: 2 ε, nothing spent yet
  seed('register', sample, '--budget', '2');

  await page.sidebar.openTab('privlab-panel');
  const panel = page.getByRole('region', { name: 'privlab privacy panel' });
  await expect(panel).toBeVisible();
  const meter = panel.getByRole('meter', { name: 'ε budget left for patients' });
  await expect(meter).toHaveAttribute('aria-valuenow', '2');
  await expect(meter).toHaveAttribute('aria-valuemax', '2');
  const audit = panel.getByRole('status', { name: 'Audit log status' });
  await expect(audit).toContainText('verified');

  // spend ε through the API; the meter follows after a refresh
  seed('spend', sample, '0.5');
  const refresh = panel.getByRole('button', { name: 'Refresh privacy panel' });
  await refresh.click();
  await expect(meter).toHaveAttribute('aria-valuenow', '1.5');
  await expect(panel.getByText('policy passed')).toHaveCount(1);

  // nearly spent (≥ 80 %): a notification
  seed('spend', sample, '1.2');
  await refresh.click();
  await expect(meter).toHaveAttribute('aria-valuenow', '0.3');
  await expect(page.getByText(/Privacy budget of "patients" is nearly spent/)).toBeVisible();

  // filter, column roles, audit verification
  const filter = panel.getByRole('searchbox', { name: 'Filter datasets and releases' });
  await filter.fill('no-such-dataset');
  await expect(panel.getByRole('heading', { name: 'Datasets (0 of 1)' })).toBeVisible();
  await filter.fill('');
  const toggle = panel.getByRole('button', { name: 'Column roles of patients' });
  await toggle.click();
  const roles = panel.getByRole('table', { name: 'Column roles of dataset patients' });
  await expect(roles.getByRole('row', { name: /ssn direct identifier/ })).toBeVisible();
  await panel.getByRole('button', { name: 'Verify audit log now' }).click();
  await expect(audit).toContainText('verified');
  await expect(audit).not.toContainText('cached');
  await shot(page, 'lab-light-column-roles');
  await toggle.click();
  await expect(roles).toBeHidden();
  await dismissNotifications(page);
  await shot(page, 'panel-light', panel);

  // a release's report opens in a JupyterLab tab
  await panel.getByRole('button', { name: /Open report of dp release/ }).first().click();
  const report = page.frameLocator('iframe.jp-privlab-report-frame').first();
  await expect(
    report.getByRole('heading', { name: /dp release .* of patients/ }).first()
  ).toBeVisible();
  await shot(page, 'release-report-light');

  // profile a CSV from the file browser's context menu
  await page.contents.uploadFile(sample, `${tmpPath}/patients.csv`);
  await page.filebrowser.openDirectory(tmpPath);
  await page.filebrowser.refresh();
  await page
    .locator('.jp-DirListing-item[data-isdir="false"]', { hasText: 'patients.csv' })
    .click({ button: 'right' });
  await page.getByRole('menuitem', { name: 'Profile with privlab' }).click();
  const profile = page.getByRole('table', { name: 'Column roles of patients.csv' });
  await expect(profile).toBeVisible({ timeout: 120000 });
  await expect(profile.getByRole('row', { name: /^ssn .*direct identifier/ })).toBeVisible();
  await expect(page.getByText(/Profiled .*patients\.csv/)).toBeVisible();
  expect(await page.contents.fileExists(`${tmpPath}/patients.csv.profile.html`)).toBe(true);
  await dismissNotifications(page);
  await shot(page, 'profile-light');

  // the profile's HTML report opens from the profile view
  await page.getByRole('button', { name: 'Open HTML report of patients.csv' }).click();
  const profileReport = page.frameLocator('iframe.jp-privlab-report-frame').last();
  await expect(
    profileReport.getByRole('heading', { name: 'Profile of patients.csv', exact: true })
  ).toBeVisible();
  await shot(page, 'profile-report-light');
  await page.getByRole('main').getByRole('tab', { name: /Profile: patients\.csv/ }).click();

  // dark theme: the panel and the profile
  await page.theme.setDarkTheme();
  await shot(page, 'profile-dark');
  await shot(page, 'panel-dark', panel);
});
