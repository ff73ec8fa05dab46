// Playwright drives Debian's Chromium (never a downloaded browser) against a
// server started on a fresh SQLite database for this run.
import { defineConfig } from '@playwright/test';
import { execSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..');
const port = Number(process.env.BOTME_E2E_PORT ?? 3100);
// Set once in the runner; workers inherit it.
process.env.BOTME_E2E_DATA ??= fs.mkdtempSync(path.join(os.tmpdir(), 'botme-e2e-'));
const data = process.env.BOTME_E2E_DATA;
const server = process.env.BOTME_E2E_SERVER ?? path.join(root, 'target/debug/server');
const chromium =
  process.env.CHROMIUM_BIN ?? execSync('command -v chromium', { encoding: 'utf8' }).trim();

export default defineConfig({
  testDir: './tests',
  workers: 1,
  fullyParallel: false,
  forbidOnly: true,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: chromium,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-quic',
        '--no-first-run',
      ],
    },
  },
  projects: [{ name: 'chromium', use: { browserName: 'chromium' } }],
  webServer: {
    command: server,
    cwd: root,
    url: `http://127.0.0.1:${port}/healthz`,
    reuseExistingServer: false,
    timeout: 120_000,
    stdout: 'pipe',
    stderr: 'pipe',
    env: {
      DATABASE_URL: `sqlite://${data}/botme.db`,
      BOTME_DATA_DIR: data,
      LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
      LEPTOS_SITE_ROOT: path.join(root, 'target/site'),
      // Every test signs up from 127.0.0.1.
      BOTME_SIGNUPS_PER_HOUR: '10000',
      RUST_LOG: 'warn',
    },
  },
});
