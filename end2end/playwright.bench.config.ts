// `make bench`: the editor measured in Debian's Chromium against the release
// build, on a fresh SQLite database. Not part of `make test`.
import base from './playwright.config';
import { defineConfig } from '@playwright/test';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..');
const port = Number(process.env.BOTME_BENCH_PORT ?? 3150);
process.env.BOTME_BENCH_DATA ??= fs.mkdtempSync(path.join(os.tmpdir(), 'botme-bench-'));
const data = process.env.BOTME_BENCH_DATA;

export default defineConfig({
  ...base,
  testDir: './bench',
  testMatch: '**/*.bench.ts',
  timeout: 300_000,
  reporter: [['line']],
  use: { ...base.use, baseURL: `http://127.0.0.1:${port}`, trace: 'off', viewport: { width: 1440, height: 900 } },
  webServer: {
    ...(base.webServer as object),
    command: path.join(root, 'target/release/server'),
    url: `http://127.0.0.1:${port}/healthz`,
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
