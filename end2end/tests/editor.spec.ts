import { expect, test, type Page } from '@playwright/test';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

test.use({ viewport: { width: 1440, height: 900 } });

async function hydrated(page: Page) {
  await expect(page.locator('body[data-hydrated="true"]')).toHaveCount(1);
}

/** The centre of an element on screen. */
async function centre(page: Page, selector: string) {
  const box = await page.locator(selector).boundingBox();
  expect(box, selector).not.toBeNull();
  return { x: box!.x + box!.width / 2, y: box!.y + box!.height / 2 };
}

/** Drags from a node's port to another node, with the mouse. */
async function connect(page: Page, from: string, port: string, to: string) {
  const a = await centre(page, `[data-node-id="${from}"] [data-port="${port}"]`);
  const b = await centre(page, `[data-node-id="${to}"] .node-head`);
  await page.mouse.move(a.x, a.y);
  await page.mouse.down();
  await page.mouse.move(b.x, b.y, { steps: 10 });
  await page.mouse.up();
  await expect(page.locator(`[data-edge-from="${from}"][data-edge-port="${port}"]`)).toHaveAttribute('data-edge-to', to);
}

/** Drags a card by its title row. */
async function drag(page: Page, node: string, dx: number, dy: number) {
  const a = await centre(page, `[data-node-id="${node}"] .node-head`);
  await page.mouse.move(a.x, a.y);
  await page.mouse.down();
  await page.mouse.move(a.x + dx, a.y + dy, { steps: 8 });
  await page.mouse.up();
}

async function position(page: Page, node: string) {
  const t = await page.locator(`[data-node-id="${node}"]`).evaluate((el) => (el as HTMLElement).style.transform);
  const m = /translate\((-?[\d.]+)px, (-?[\d.]+)px\)/.exec(t);
  expect(m, t).not.toBeNull();
  return { x: Number(m![1]), y: Number(m![2]) };
}

async function saved(page: Page) {
  await expect(page.getByTestId('save-status')).toHaveText('All changes saved');
}

test('a merchant builds, tries and publishes a shop flow, and a shopper buys through the widget', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const email = `editor+${Date.now()}@example.com`;
  expect((await page.request.post('/api/v1/signup', {
    data: { email, password: 'correct horse battery staple', workspace: 'Tee Shop' },
  })).status()).toBe(201);
  for (const p of [
    { sku: 'TEE-1', name: 'Tee', price: '15', stock: 10, collections: ['Shirts'] },
    { sku: 'CAP-1', name: 'Cap', price: '9.50' },
  ]) {
    expect((await page.request.post('/api/v1/products', { data: p })).status()).toBe(201);
  }

  // Start from a blank flow in the template gallery: the editor opens.
  await page.goto('/dashboard');
  const create = page.getByTestId('create-bot');
  await create.getByLabel('Name').fill('Tee bot');
  await create.getByRole('radio', { name: /^Blank/ }).check();
  await create.getByRole('button', { name: 'Create bot' }).click();
  await expect(page).toHaveURL(/\/bots\/\d+\/edit$/);
  const botId = Number(/\/bots\/(\d+)\/edit/.exec(page.url())![1]);
  await hydrated(page);
  await expect(page.locator('.needs-js')).toBeHidden();
  await expect(page.getByText('Your flow is empty')).toBeVisible();

  // A greeting. Its empty text is a problem until it is written.
  await page.getByRole('button', { name: /^Message/ }).click();
  await expect(page.locator('[data-node-id="message"]')).toBeVisible();
  await expect(page.locator('[data-node-id="message"]')).toHaveClass(/start/);
  const problems = page.getByTestId('problems');
  await expect(problems).toContainText('has no text');
  await expect(page.locator('[data-node-id="message"]')).toHaveClass(/has-error/);
  await page.getByLabel('Message', { exact: true }).fill('Welcome to Tee Shop!');
  await expect(problems).not.toContainText('has no text');
  await expect(problems).toContainText('has nowhere to go after “Next”');
  await expect(page.locator('[data-node-id="message"] .node-body')).toHaveText('Welcome to Tee Shop!');
  // The live preview shows it on every channel.
  await expect(page.getByTestId('channel-preview').locator('[data-channel="whatsapp"]')).toContainText('Welcome to Tee Shop!');

  // A carousel of the products the merchant picks from the real catalog.
  await page.getByRole('button', { name: /^Product carousel/ }).click();
  await expect(page.locator('[data-node-id="product-carousel"]')).toBeVisible();
  await page.getByLabel('Which products').selectOption('skus');
  await page.getByLabel(/^Tee — /).check();
  await expect(page.locator('[data-node-id="product-carousel"] .node-body')).toHaveText('Shows 1 chosen product(s)');
  await expect(page.getByTestId('channel-preview').locator('[data-channel="messenger"]')).toContainText('Tee');
  // Unconnected exits are problems, tied to the step.
  await expect(problems).toContainText('has nowhere to go after “Added to cart”');
  await expect(problems).toContainText('No conversation can reach');

  await page.getByRole('button', { name: /^Checkout/ }).click();
  await page.getByRole('button', { name: /^End/ }).click();
  for (const id of ['checkout', 'end']) {
    await expect(page.locator(`[data-node-id="${id}"]`)).toBeVisible();
  }

  // Connect with the mouse: from a port to a card.
  await page.getByRole('button', { name: 'Fit to screen' }).click();
  await connect(page, 'message', 'next', 'product-carousel');
  await connect(page, 'product-carousel', 'added', 'checkout');
  await connect(page, 'product-carousel', 'done', 'checkout');
  await connect(page, 'checkout', 'placed', 'end');
  await expect(page.locator('.edge')).toHaveCount(4);
  await expect(page.getByTestId('error-count')).toHaveText('0');

  // Drag a card; undo puts it back, redo moves it again.
  const before = await position(page, 'end');
  const boxBefore = (await page.locator('[data-node-id="end"]').boundingBox())!;
  await drag(page, 'end', 120, 160);
  const boxAfter = (await page.locator('[data-node-id="end"]').boundingBox())!;
  expect(Math.abs(boxAfter.x - boxBefore.x - 120)).toBeLessThan(2);
  expect(Math.abs(boxAfter.y - boxBefore.y - 160)).toBeLessThan(2);
  const after = await position(page, 'end');
  expect(after).not.toEqual(before);
  await page.locator('.canvas').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('Control+z');
  expect(await position(page, 'end')).toEqual(before);
  await page.keyboard.press('Control+Shift+z');
  expect(await position(page, 'end')).toEqual(after);

  // Delete a selected connection, then undo and redo the deletion.
  await page.locator('[data-edge-from="checkout"][data-edge-port="placed"] .edge-hit').click({ force: true });
  await page.keyboard.press('Delete');
  await expect(page.locator('.edge')).toHaveCount(3);
  await expect(problems).toContainText('has nowhere to go after “Order placed”');
  await page.keyboard.press('Control+z');
  await expect(page.locator('.edge')).toHaveCount(4);
  await page.keyboard.press('Control+Shift+z');
  await expect(page.locator('.edge')).toHaveCount(3);
  await page.getByRole('button', { name: 'Undo' }).click();
  await expect(page.locator('.edge')).toHaveCount(4);
  await expect(page.getByTestId('no-problems')).toBeVisible();

  // Chat through the draft in the preview; the path lights up.
  await page.getByRole('tab', { name: 'Try it' }).click();
  const chat = page.getByTestId('preview-chat');
  await chat.getByRole('button', { name: 'Start the conversation' }).click();
  await expect(chat.getByText('Welcome to Tee Shop!')).toBeVisible();
  await expect(chat.locator('.product-card')).toHaveCount(1);
  await chat.locator('.product-card', { hasText: 'Tee' }).getByRole('button', { name: 'Add to cart' }).click();
  await expect(chat.getByTestId('preview-cart')).toContainText('1 × Tee');
  await chat.getByRole('button', { name: 'Confirm order' }).last().click();
  await expect(chat.getByText('Thank you! Your order TEST-1 is placed.')).toBeVisible();
  await expect(page.locator('[data-node-id="end"]')).toHaveClass(/current/);
  await expect(page.locator('.node.on-path')).toHaveCount(4);

  // Publish.
  await saved(page);
  await page.getByTestId('publish').click();
  await expect(page.getByTestId('notice')).toContainText('Published version 1.');
  await expect(page.getByTestId('live-version')).toHaveText('Live: version 1');

  // A shopper buys through the web widget on the merchant's own site.
  let scriptTag = '';
  const site = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!DOCTYPE html><html><head><title>Tee Shop</title></head><body><h1>Tee Shop</h1>${scriptTag}</body></html>`);
  });
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
  const siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
  try {
    const channel = await page.request.post('/api/v1/channels', {
      data: { kind: 'web', bot_id: botId, allowed_origins: [siteUrl] },
    });
    expect(channel.status()).toBe(201);
    scriptTag = (await channel.json()).script_tag;
    const shopper = await page.context().newPage();
    await shopper.goto(siteUrl);
    await shopper.getByRole('button', { name: 'Chat with us' }).click();
    const widget = shopper.frameLocator('iframe[data-botme="panel"]');
    await expect(widget.getByText('Welcome to Tee Shop!')).toBeVisible();
    await widget.locator('.card', { hasText: 'Tee' }).getByRole('button', { name: 'Add to cart' }).click();
    await widget.getByRole('button', { name: 'Confirm order' }).last().click();
    await expect(widget.getByText(/Thank you! Your order \d+ is placed\./)).toBeVisible();
    await shopper.close();
  } finally {
    site.close();
  }

  // The order is on the orders page.
  await page.goto('/orders');
  await expect(page.getByTestId('order-row')).toHaveCount(1);
  await expect(page.getByTestId('order-row')).toContainText('$15.00');
  expect(errors).toEqual([]);
});

test('a stale save from a second tab is refused and the merchant chooses', async ({ page, context }) => {
  const email = `stale+${Date.now()}@example.com`;
  await page.request.post('/api/v1/signup', {
    data: { email, password: 'correct horse battery staple', workspace: 'Two tabs' },
  });
  const bot = await (await page.request.post('/api/v1/bots', { data: { name: 'FAQ', template: 'faq' } })).json();
  const draftText = async () => {
    const d = await (await page.request.get(`/api/v1/bots/${bot.id}/draft`)).json();
    return d.document.nodes.find((n: { id: string }) => n.id === 'welcome').settings.text as string;
  };

  const first = page;
  const second = await context.newPage();
  for (const tab of [first, second]) {
    await tab.goto(`/bots/${bot.id}/edit`);
    await hydrated(tab);
  }

  // The second tab saves first.
  await second.locator('[data-node-id="welcome"] .node-head').click();
  await second.getByLabel('Message', { exact: true }).fill('Hello from the second tab');
  await saved(second);
  expect(await draftText()).toBe('Hello from the second tab');

  // The first tab's save names an old revision: refused, nothing overwritten.
  await first.locator('[data-node-id="welcome"] .node-head').click();
  await first.getByLabel('Message', { exact: true }).fill('Hello from the first tab');
  const dialog = first.getByTestId('conflict');
  await expect(dialog).toBeVisible();
  await expect(first.getByTestId('save-status')).toHaveText('Not saved: changed elsewhere');
  expect(await draftText()).toBe('Hello from the second tab');

  // Loading theirs shows their text; undo brings mine back, and it saves.
  await dialog.getByRole('button', { name: 'Load their version' }).click();
  await expect(dialog).toHaveCount(0);
  await expect(first.getByLabel('Message', { exact: true })).toHaveValue('Hello from the second tab');
  await saved(first);
  await first.locator('.canvas').click({ position: { x: 5, y: 5 } });
  await first.keyboard.press('Control+z');
  await first.locator('[data-node-id="welcome"] .node-head').click();
  await expect(first.getByLabel('Message', { exact: true })).toHaveValue('Hello from the first tab');
  await saved(first);
  expect(await draftText()).toBe('Hello from the first tab');

  // The second tab, now stale, keeps its own on purpose.
  await second.getByLabel('Message', { exact: true }).fill('Second tab wins');
  await expect(second.getByTestId('conflict')).toBeVisible();
  await second.getByTestId('conflict').getByRole('button', { name: 'Keep mine (replace theirs)' }).click();
  await saved(second);
  expect(await draftText()).toBe('Second tab wins');
});

test('export and import a flow, and view and roll back versions', async ({ page }) => {
  const email = `export+${Date.now()}@example.com`;
  await page.request.post('/api/v1/signup', {
    data: { email, password: 'correct horse battery staple', workspace: 'Agency' },
  });
  const bot = await (await page.request.post('/api/v1/bots', { data: { name: 'Status', template: 'order-status' } })).json();
  for (let i = 0; i < 2; i++) {
    expect((await page.request.post(`/api/v1/bots/${bot.id}/publish`)).status()).toBe(201);
  }
  await page.goto(`/bots/${bot.id}/edit`);
  await hydrated(page);
  const steps = await page.locator('.node').count();
  expect(steps).toBeGreaterThan(1);

  // Export downloads the draft as JSON.
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export' }).click();
  const file = await (await download).path();
  const exported = JSON.parse(fs.readFileSync(file, 'utf8'));
  expect(exported.schema).toBe(1);
  expect(exported.nodes).toHaveLength(steps);

  // A broken file is refused and nothing changes.
  await page.getByTestId('import-file').setInputFiles({
    name: 'broken.json', mimeType: 'application/json',
    buffer: Buffer.from(JSON.stringify({ schema: 1, start: 'a', nodes: [{ id: 'a', type: 'message', settings: { text: 'Hi' } }], edges: [{ from: 'a', port: 'next', to: 'ghost' }] })),
  });
  await expect(page.getByTestId('notice')).toContainText('This file was not imported');
  await expect(page.locator('.node')).toHaveCount(steps);
  await page.getByTestId('import-file').setInputFiles({ name: 'x.json', mimeType: 'application/json', buffer: Buffer.from('not json') });
  await expect(page.getByTestId('notice')).toContainText('The flow document is not valid');

  // A good file replaces the draft, as one step undo reverts.
  const small = { schema: 1, start: 'hi', nodes: [{ id: 'hi', type: 'end', position: { x: 0, y: 0 }, settings: { text: 'Bye' } }] };
  await page.getByTestId('import-file').setInputFiles({ name: 'small.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(small)) });
  await expect(page.getByTestId('notice')).toContainText('Imported 1 step(s). No problems found.');
  await expect(page.locator('.node')).toHaveCount(1);
  await page.getByRole('button', { name: 'Undo' }).click();
  await expect(page.locator('.node')).toHaveCount(steps);

  // History: view version 1 read-only, then roll back to it.
  await page.getByRole('tab', { name: 'History' }).click();
  await page.getByTestId('versions').locator('[data-version="1"]').getByRole('button', { name: 'View' }).click();
  await expect(page.getByTestId('viewing')).toContainText('Viewing version 1');
  await expect(page.getByRole('button', { name: /^Message/ })).toBeDisabled();
  await page.getByTestId('viewing').getByRole('button', { name: 'Back to the draft' }).click();
  await expect(page.getByTestId('viewing')).toHaveCount(0);
  await page.getByTestId('versions').locator('[data-version="1"]').getByRole('button', { name: 'Roll back to this' }).click();
  await expect(page.getByTestId('notice')).toContainText('Version 1 is live again, as version 3.');
  await expect(page.getByTestId('live-version')).toHaveText('Live: version 3');
  await expect(page.getByTestId('versions').locator('li')).toHaveCount(3);
});

test('the editor is usable from the keyboard', async ({ page }) => {
  const email = `keys+${Date.now()}@example.com`;
  await page.request.post('/api/v1/signup', {
    data: { email, password: 'correct horse battery staple', workspace: 'Keys' },
  });
  const bot = await (await page.request.post('/api/v1/bots', { data: { name: 'Keys' } })).json();
  await page.goto(`/bots/${bot.id}/edit`);
  await hydrated(page);
  // Every control has an accessible name.
  const unnamed = await page.locator('main.editor').evaluate((root) =>
    [...root.querySelectorAll('button, select, input, textarea, a[href]')]
      .filter((el) => !(el as HTMLElement).hidden && (el as HTMLElement).offsetParent !== null)
      .filter((el) => {
        const e = el as HTMLElement;
        const label = e.getAttribute('aria-label') || e.textContent?.trim() ||
          (e.id && root.querySelector(`label[for="${e.id}"]`)?.textContent?.trim());
        return !label;
      })
      .map((el) => el.outerHTML.slice(0, 80)));
  expect(unnamed).toEqual([]);

  // Add two steps with the keyboard, connect them through the inspector.
  await page.getByRole('button', { name: /^Message/ }).focus();
  await page.keyboard.press('Enter');
  await page.getByLabel('Message', { exact: true }).fill('Hi there');
  await page.getByRole('button', { name: /^End/ }).focus();
  await page.keyboard.press('Enter');
  await page.locator('[data-node-id="message"]').focus();
  await expect(page.getByTestId('inspector')).toContainText('Message');
  await page.getByLabel('After “Next”').selectOption('end');
  await expect(page.locator('.edge')).toHaveCount(1);
  // Arrow keys move the focused step; Delete removes it.
  const before = await position(page, 'end');
  await page.locator('[data-node-id="end"]').focus();
  await page.keyboard.press('ArrowRight');
  expect((await position(page, 'end')).x).toBe(before.x + 10);
  await page.keyboard.press('Delete');
  await expect(page.locator('[data-node-id="end"]')).toHaveCount(0);
  await expect(page.locator('.edge')).toHaveCount(0);
  await page.keyboard.press('Control+z');
  await expect(page.locator('.edge')).toHaveCount(1);
});

test('leaving the editor right after an edit keeps the edit', async ({ page }) => {
  const email = `leave+${Date.now()}@example.com`;
  await page.request.post('/api/v1/signup', {
    data: { email, password: 'correct horse battery staple', workspace: 'Leaving' },
  });
  const bot = await (await page.request.post('/api/v1/bots', { data: { name: 'FAQ', template: 'faq' } })).json();
  await page.goto(`/bots/${bot.id}/edit`);
  await hydrated(page);
  await page.locator('[data-node-id="welcome"] .node-head').click();
  await page.getByLabel('Message', { exact: true }).fill('Written just before leaving');
  // Straight away, before the autosave pause is over.
  await page.getByRole('link', { name: 'Bots' }).click();
  await expect(page).toHaveURL(/\/dashboard$/);
  await expect.poll(async () => {
    const d = await (await page.request.get(`/api/v1/bots/${bot.id}/draft`)).json();
    return d.document.nodes.find((n: { id: string }) => n.id === 'welcome').settings.text;
  }).toBe('Written just before leaving');
});
