// The editor's speed, measured in one run and reported as ratios: the
// median frame time while dragging a step and while panning, on a
// generated 500-step flow and on a 50-step one, against the 60 fps budget;
// and the size of the WASM bundle, gzipped.
import { expect, test, type Page } from '@playwright/test';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';

const BUDGET_MS = 1000 / 60;

/** A flow of `n` steps on a grid, each leading to the next. */
function flow(n: number) {
  const nodes = [];
  const edges = [];
  for (let i = 0; i < n; i++) {
    const id = `s${i}`;
    const position = { x: (i % 25) * 300, y: Math.floor(i / 25) * 220 };
    if (i === n - 1) {
      nodes.push({ id, type: 'end', position, settings: { text: 'Bye' } });
    } else if (i % 3 === 1) {
      nodes.push({ id, type: 'quick_reply', position, settings: { text: `Question ${i}?`, options: [{ id: 'a', label: 'Yes' }, { id: 'b', label: 'No' }] } });
      edges.push({ from: id, port: 'a', to: `s${i + 1}` }, { from: id, port: 'b', to: `s${i + 1}` });
    } else {
      nodes.push({ id, type: 'message', position, settings: { text: `Step ${i}: a message of a realistic length for a shop.` } });
      edges.push({ from: id, port: 'next', to: `s${i + 1}` });
    }
  }
  return { schema: 1, start: 's0', nodes, edges, triggers: [] };
}

function median(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function p95(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * 0.95))];
}

/** Frame intervals while the mouse drags from `from` by (dx, dy). */
async function frames(page: Page, from: { x: number; y: number }, dx: number, dy: number) {
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  await page.evaluate(() => {
    const w = window as unknown as { __frames: number[]; __on: boolean; __long: number; __obs?: PerformanceObserver };
    w.__frames = [];
    w.__on = true;
    w.__long = 0;
    // Frames that kept the main thread busy for more than 50 ms.
    try {
      w.__obs = new PerformanceObserver((list) => { w.__long += list.getEntries().length; });
      w.__obs.observe({ type: 'long-animation-frame' });
    } catch {
      w.__long = -1;
    }
    const tick = (t: number) => {
      if (!w.__on) return;
      w.__frames.push(t);
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  const moves = 90;
  for (let i = 1; i <= moves; i++) {
    await page.mouse.move(from.x + (dx * i) / moves, from.y + (dy * i) / moves);
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r(null))));
  }
  await page.mouse.up();
  const [ts, long]: [number[], number] = await page.evaluate(() => {
    const w = window as unknown as { __frames: number[]; __on: boolean; __long: number; __obs?: PerformanceObserver };
    w.__on = false;
    w.__obs?.disconnect();
    return [w.__frames, w.__long];
  });
  return { intervals: ts.slice(1).map((t, i) => t - ts[i]), long };
}

async function measure(page: Page, steps: number) {
  const bot = await (await page.request.post('/api/v1/bots', { data: { name: `Bench ${steps}` } })).json();
  const draft = await (await page.request.get(`/api/v1/bots/${bot.id}/draft`)).json();
  const put = await page.request.put(`/api/v1/bots/${bot.id}/draft`, { data: { revision: draft.revision, document: flow(steps) } });
  expect(put.status()).toBe(200);
  await page.goto(`/bots/${bot.id}/edit`);
  await expect(page.locator('body[data-hydrated="true"]')).toHaveCount(1);
  await expect(page.locator('.node')).toHaveCount(steps);
  // The editor opens fitted to the screen: every card is drawn.
  const head = (await page.locator('[data-node-id="s1"] .node-head').boundingBox())!;
  const drag = await frames(page, { x: head.x + 20, y: head.y + 10 }, 240, 160);
  const canvas = (await page.locator('.canvas').boundingBox())!;
  const pan = await frames(page, { x: canvas.x + canvas.width - 30, y: canvas.y + canvas.height - 30 }, -400, -300);
  return {
    drag: median(drag.intervals), dragP95: p95(drag.intervals), dragLong: drag.long, dragFrames: drag.intervals.length,
    pan: median(pan.intervals), panP95: p95(pan.intervals), panLong: pan.long, panFrames: pan.intervals.length,
  };
}

test('editor frame times and bundle size', async ({ page }) => {
  const email = `bench+${Date.now()}@example.com`;
  expect((await page.request.post('/api/v1/signup', {
    data: { email, password: 'correct horse battery staple', workspace: 'Bench' },
  })).status()).toBe(201);
  const small = await measure(page, 50);
  const large = await measure(page, 500);

  const pkg = path.resolve(__dirname, '../../target/site/pkg');
  const wasm = fs.readdirSync(pkg).find((f) => f.endsWith('.wasm'))!;
  const raw = fs.readFileSync(path.join(pkg, wasm));
  const gz = zlib.gzipSync(raw, { level: 9 }).length;

  const ms = (x: number) => `${x.toFixed(1)} ms`;
  const lines = [
    `editor WASM bundle: ${(gz / 1024).toFixed(0)} KiB gzipped (${(raw.length / 1024).toFixed(0)} KiB raw)`,
    `editor, 500 steps, dragging a step: median frame ${ms(large.drag)} (p95 ${ms(large.dragP95)}, ${large.dragLong} frames over 50 ms of ${large.dragFrames}) = ${(large.drag / BUDGET_MS).toFixed(2)}x the 60 fps budget, ${(large.drag / small.drag).toFixed(2)}x the 50-step flow (${ms(small.drag)})`,
    `editor, 500 steps, panning: median frame ${ms(large.pan)} (p95 ${ms(large.panP95)}, ${large.panLong} frames over 50 ms of ${large.panFrames}) = ${(large.pan / BUDGET_MS).toFixed(2)}x the 60 fps budget, ${(large.pan / small.pan).toFixed(2)}x the 50-step flow (${ms(small.pan)})`,
  ];
  for (const l of lines) console.log(`BENCH ${l}`);
  fs.writeFileSync(path.resolve(__dirname, '../../target/bench-editor.txt'), lines.join('\n') + '\n');
});
