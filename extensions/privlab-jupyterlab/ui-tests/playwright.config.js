/**
 * Galata on Debian's Chromium, against a JupyterLab on 127.0.0.1 with a token.
 *
 * Run from the extension folder: `jlpm test:ui` (make test-all does it). Nothing is
 * downloaded: PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 and the browser is /usr/bin/chromium
 * (PRIVLAB_CHROMIUM overrides). A missing browser fails the run; it never skips.
 */
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');

const baseConfig = require('@jupyterlab/galata/lib/playwright-config');

const env = process.env;
const repo = path.resolve(__dirname, '..', '..', '..');

// The runner and its workers must agree on these: made once by the runner, then
// inherited by the workers (and the server) through the environment.
env.PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD = '1';
env.PRIVLAB_PROGRESS = '0';
env.PRIVLAB_UI_PORT = env.PRIVLAB_UI_PORT || '18888';
env.PRIVLAB_UI_TOKEN = env.PRIVLAB_UI_TOKEN || crypto.randomBytes(24).toString('hex');
if (!env.PRIVLAB_UI_TMP) {
  env.PRIVLAB_UI_TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'privlab-ui-'));
}
env.PRIVLAB_UI_ROOT = path.join(env.PRIVLAB_UI_TMP, 'root');
env.PRIVLAB_HOME = path.join(env.PRIVLAB_UI_TMP, 'home');
fs.mkdirSync(env.PRIVLAB_UI_ROOT, { recursive: true });
env.PRIVLAB_UI_ARTIFACTS =
  env.PRIVLAB_UI_ARTIFACTS || path.join(repo, 'test-artifacts', 'privlab-jupyterlab');

const chromium = env.PRIVLAB_CHROMIUM || '/usr/bin/chromium';
if (!fs.existsSync(chromium)) {
  throw new Error(
    `Chromium not found at ${chromium}: install Debian's package (apt-get install -y chromium)` +
      ' or set PRIVLAB_CHROMIUM; never `playwright install`'
  );
}
const python = env.PRIVLAB_PYTHON || 'python3';
const baseURL = `http://127.0.0.1:${env.PRIVLAB_UI_PORT}`;

module.exports = {
  ...baseConfig,
  testDir: 'tests',
  outputDir: path.join(env.PRIVLAB_UI_ARTIFACTS, 'playwright'),
  reporter: [['list']],
  retries: 0,
  workers: 1,
  timeout: 180000,
  expect: { timeout: 30000 },
  use: {
    ...baseConfig.use,
    baseURL,
    viewport: { width: 1440, height: 900 },
    // every request of the page and of Galata's REST helpers carries the token
    extraHTTPHeaders: { Authorization: `token ${env.PRIVLAB_UI_TOKEN}` },
    launchOptions: {
      executablePath: chromium,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync'
      ]
    },
    trace: 'retain-on-failure',
    video: 'off'
  },
  webServer: {
    command: `"${python}" -m jupyterlab --config jupyter_server_test_config.py`,
    cwd: __dirname,
    url: `${baseURL}/api`,
    timeout: 120000,
    reuseExistingServer: false,
    stdout: 'ignore',
    stderr: 'pipe'
  }
};
