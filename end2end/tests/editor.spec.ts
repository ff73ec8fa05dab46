import { expect, test, type Locator, type Page } from '@playwright/test';
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

/**
 * What a chat shows a shopper: each bubble's classes and look, and every
 * element in it with its own text. Order numbers are blanked: the preview
 * never stores an order, so it says TEST-1 where the widget has a number.
 */
async function shown(log: Locator) {
  const bubbles = await log.locator('.wc-b').evaluateAll((all) =>
    all.map((b) => {
      const look = (e: Element) => {
        const s = getComputedStyle(e);
        return [s.backgroundColor, s.color, s.borderRadius, s.borderTopColor, s.display].join(' ');
      };
      return {
        classes: b.className,
        look: look(b),
        parts: Array.from(b.querySelectorAll('*')).map(
          (e) => `${e.tagName.toLowerCase()}.${e.className} [${look(e)}] ${e.children.length ? '' : e.textContent}`,
        ),
      };
    }),
  );
  const blank = (t: string) => t.replace(/order \S+ is placed/g, 'order … is placed');
  return bubbles.map((b) => ({ ...b, parts: b.parts.map(blank) }));
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

  // Selecting one connection, then another, moves the mark.
  const first = page.locator('[data-edge-from="message"][data-edge-port="next"]');
  const placed = page.locator('[data-edge-from="checkout"][data-edge-port="placed"]');
  await first.locator('.edge-hit').click({ force: true });
  await expect(first).toHaveClass(/selected/);
  // Delete a selected connection, then undo and redo the deletion.
  await placed.locator('.edge-hit').click({ force: true });
  await expect(placed).toHaveClass(/selected/);
  await expect(first).not.toHaveClass(/selected/);
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
  await expect(chat.locator('.wc-card')).toHaveCount(1);
  await chat.locator('.wc-card', { hasText: 'Tee' }).getByRole('button', { name: 'Add to cart' }).click();
  await expect(chat.getByTestId('preview-cart')).toContainText('1 × Tee');
  await chat.getByRole('button', { name: 'Confirm order' }).last().click();
  await expect(chat.getByText('Thank you! Your order TEST-1 is placed.')).toBeVisible();
  await expect(page.locator('[data-node-id="end"]')).toHaveClass(/current/);
  await expect(page.locator('.node.on-path')).toHaveCount(4);
  const inPreview = await shown(chat.locator('.wc-log'));
  // Welcome, the carousel, the tap, what was added and the checkout, the
  // tap, the thank-you and the goodbye.
  expect(inPreview.map((b) => b.classes.replace('wc-b ', ''))).toEqual([
    'wc-bot', 'wc-bot', 'wc-me', 'wc-bot', 'wc-bot', 'wc-me', 'wc-bot', 'wc-bot',
  ]);
  expect(inPreview[1].parts.some((p) => p.startsWith('div.wc-card '))).toBe(true);

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
    await widget.locator('.wc-card', { hasText: 'Tee' }).getByRole('button', { name: 'Add to cart' }).click();
    await widget.getByRole('button', { name: 'Confirm order' }).last().click();
    await expect(widget.getByText(/Thank you! Your order \d+ is placed\./)).toBeVisible();
    // The preview showed the same conversation exactly as the widget does.
    expect(await shown(widget.locator('#log'))).toEqual(inPreview);
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
  // The dialog has the keyboard: the canvas shortcuts do nothing meanwhile,
  // even with a step selected.
  await expect(dialog.getByRole('button', { name: 'Load their version' })).toBeFocused();
  const steps = await first.locator('.node').count();
  const at = await position(first, 'welcome');
  for (const key of ['Delete', 'Backspace', 'ArrowRight', 'Control+z']) await first.keyboard.press(key);
  await expect(first.locator('.node')).toHaveCount(steps);
  expect(await position(first, 'welcome')).toEqual(at);
  await expect(first.getByLabel('Message', { exact: true })).toHaveValue('Hello from the first tab');

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

  // Importing the flow that is already there changes nothing, and says so.
  await page.getByTestId('import-file').setInputFiles({ name: 'same.json', mimeType: 'application/json', buffer: fs.readFileSync(file) });
  await expect(page.getByTestId('notice')).toHaveText(/The imported flow is the same as yours: nothing changed\./);
  await expect(page.getByRole('button', { name: 'Undo' })).toBeDisabled();

  // A good file replaces the draft, as one step undo reverts.
  const small = { schema: 1, start: 'hi', nodes: [{ id: 'hi', type: 'end', position: { x: 0, y: 0 }, settings: { text: 'Bye' } }] };
  await page.getByTestId('import-file').setInputFiles({ name: 'small.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(small)) });
  await expect(page.getByTestId('notice')).toContainText('Imported 1 step(s). No problems found.');
  await expect(page.locator('.node')).toHaveCount(1);
  await page.getByRole('button', { name: 'Undo' }).click();
  await expect(page.locator('.node')).toHaveCount(steps);

  // Change the draft, so that a version and the draft differ.
  const welcome = page.locator('[data-node-id="welcome"]');
  await welcome.locator('.node-head').click();
  await page.getByLabel('Message', { exact: true }).fill('A new greeting, not published');
  await expect(welcome.locator('.node-body')).toHaveText('A new greeting, not published');
  await saved(page);

  // History: view version 1 read-only: the old text, and nothing to edit.
  await page.getByRole('tab', { name: 'History' }).click();
  await page.getByTestId('versions').locator('[data-version="1"]').getByRole('button', { name: 'View' }).click();
  await expect(page.getByTestId('viewing')).toContainText('Viewing version 1');
  await expect(welcome.locator('.node-body')).toHaveText('Hi! Let me look up your orders.');
  await expect(page.getByRole('button', { name: /^Message/ })).toBeDisabled();
  await welcome.locator('.node-head').click();
  const field = page.getByTestId('inspector').getByLabel('Message', { exact: true });
  await expect(field).toHaveValue('Hi! Let me look up your orders.');
  await expect(field).toBeDisabled();
  await expect(page.getByTestId('inspector').getByLabel('After “Next”')).toBeDisabled();
  await expect(page.getByTestId('inspector').getByRole('button', { name: 'Delete this step' })).toBeDisabled();
  await expect(page.getByTestId('publish')).toBeDisabled();
  await page.getByTestId('viewing').getByRole('button', { name: 'Back to the draft' }).click();
  await expect(page.getByTestId('viewing')).toHaveCount(0);
  // Back on the draft, with the change still there.
  await expect(welcome.locator('.node-body')).toHaveText('A new greeting, not published');
  await page.getByRole('tab', { name: 'History' }).click();
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

async function signUp(page: Page, tag: string) {
  const email = `${tag}+${Date.now()}@example.com`;
  expect((await page.request.post('/api/v1/signup', {
    data: { email, password: 'correct horse battery staple', workspace: tag },
  })).status()).toBe(201);
}

/** A bot whose draft is `document`. */
async function botWith(page: Page, name: string, document: unknown): Promise<number> {
  const bot = await (await page.request.post('/api/v1/bots', { data: { name } })).json();
  const draft = await (await page.request.get(`/api/v1/bots/${bot.id}/draft`)).json();
  const put = await page.request.put(`/api/v1/bots/${bot.id}/draft`, { data: { revision: draft.revision, document } });
  expect(put.status(), await put.text()).toBe(200);
  return bot.id;
}

/** The layer's pan offset and zoom, from its transform. */
async function viewOf(page: Page) {
  const t = await page.locator('.canvas .layer').evaluate((el) => (el as HTMLElement).style.transform);
  const m = /translate\((-?[\d.]+)px, (-?[\d.]+)px\) scale\((-?[\d.]+)\)/.exec(t);
  expect(m, t).not.toBeNull();
  return { x: Number(m![1]), y: Number(m![2]), zoom: Number(m![3]) };
}

/** A point of the canvas with no card and no connection under it. */
async function backgroundPoint(page: Page) {
  const p = await page.locator('.canvas').evaluate((canvas) => {
    const r = canvas.getBoundingClientRect();
    for (let y = r.top + 60; y < r.bottom - 10; y += 23) {
      for (let x = r.left + 10; x < r.right - 10; x += 29) {
        const el = document.elementFromPoint(x, y);
        if (el && canvas.contains(el) && !el.closest('[data-node-id], [data-edge-from], .viewing-banner')) return { x, y };
      }
    }
    return null;
  });
  expect(p, 'the canvas has some empty background').not.toBeNull();
  return p!;
}

async function zoomPercent(page: Page) {
  return Number((await page.getByTestId('zoom').textContent())!.replace('%', ''));
}

test('problems lead to their step, publish waits for a clean flow, and the inspector forms work', async ({ page }) => {
  await signUp(page, 'Forms');
  const bot = await (await page.request.post('/api/v1/bots', { data: { name: 'Forms' } })).json();
  await page.goto(`/bots/${bot.id}/edit`);
  await hydrated(page);
  const publish = page.getByTestId('publish');
  const problems = page.getByTestId('problems');

  // A greeting without text: a problem, and publishing is not possible.
  await page.getByRole('button', { name: /^Message/ }).click();
  await page.getByRole('button', { name: /^End/ }).click();
  await expect(problems).toContainText('has no text');
  await expect(publish).toBeDisabled();

  // Keys on the palette or the toolbar leave the canvas alone.
  const message = page.locator('[data-node-id="message"]');
  const at = await position(page, 'message');
  await page.locator('.canvas').click({ position: { x: 5, y: 5 } });
  await page.getByRole('button', { name: /^Question/ }).focus();
  await message.focus();
  await page.getByRole('button', { name: 'Fit to screen' }).focus();
  for (const key of ['Delete', 'Backspace', 'ArrowRight', 'ArrowDown']) await page.keyboard.press(key);
  await expect(page.locator('.node')).toHaveCount(2);
  expect(await position(page, 'message')).toEqual(at);

  // Clicking the problem selects the step and gives it the keyboard.
  await problems.getByRole('button', { name: /has no text/ }).click();
  await expect(message).toHaveClass(/selected/);
  await expect(message).toBeFocused();
  await expect(page.getByTestId('inspector').locator('h2')).toHaveText('Message');
  await page.keyboard.press('ArrowRight');
  expect((await position(page, 'message')).x).toBe(at.x + 10);

  // Fixed and connected: publishing is possible.
  await page.getByLabel('Message', { exact: true }).fill('Hello!');
  await page.getByLabel('After “Next”').selectOption('end');
  await expect(page.getByTestId('no-problems')).toBeVisible();
  await expect(publish).toBeEnabled();

  // A quick reply with four buttons: WhatsApp turns them into a list.
  await page.getByRole('button', { name: /^Quick reply/ }).click();
  await expect(publish).toBeDisabled();
  const inspector = page.getByTestId('inspector');
  await inspector.getByRole('button', { name: 'Add a button' }).click();
  await inspector.getByRole('button', { name: 'Add a button' }).click();
  await expect(inspector.getByRole('textbox', { name: /^Option \d$/ })).toHaveCount(4);
  await expect(page.getByTestId('channel-advice')).toContainText('WhatsApp shows at most 3 buttons: these 4 options become a list.');
  await expect(page.getByTestId('channel-preview').locator('[data-channel="whatsapp"] .pv-list li')).toHaveCount(4);

  // Reorder the buttons: "No" moves down, then "Option 4" up to the top.
  const labels = () => inspector.getByRole('textbox', { name: /^Option \d$/ }).evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value));
  expect(await labels()).toEqual(['Yes', 'No', 'Option 3', 'Option 4']);
  await inspector.getByRole('button', { name: 'Move “No” down' }).click();
  expect(await labels()).toEqual(['Yes', 'Option 3', 'No', 'Option 4']);
  for (let i = 0; i < 3; i++) await inspector.getByRole('button', { name: 'Move “Option 4” up' }).click();
  await expect.poll(labels).toEqual(['Option 4', 'Yes', 'Option 3', 'No']);
  await expect(inspector.getByRole('button', { name: 'Move “Option 4” up' })).toBeDisabled();
  // The card's exits follow the new order.
  await expect(page.locator('[data-node-id="quick-reply"] .port-label')).toHaveText(['Option 4', 'Yes', 'Option 3', 'No', 'Anything else']);
  await inspector.getByRole('button', { name: 'Remove “Option 3”' }).click();
  await expect.poll(labels).toEqual(['Option 4', 'Yes', 'No']);
  await expect(page.getByTestId('channel-advice')).toHaveCount(0);

  // A variable goes in at the caret, counted right after an emoji.
  const question = inspector.getByLabel('Question', { exact: true });
  await question.fill('👋 Hi , what now?');
  await question.evaluate((el) => (el as HTMLTextAreaElement).setSelectionRange(6, 6));
  await inspector.getByLabel('Insert a variable into “Question”').selectOption('cart.total');
  await expect(question).toHaveValue('👋 Hi {{cart.total}}, what now?');
  await expect(page.locator('[data-node-id="quick-reply"] .node-body')).toContainText('👋 Hi {{cart.total}}, what now?');
  await saved(page);
  const draft = await (await page.request.get(`/api/v1/bots/${bot.id}/draft`)).json();
  const qr = draft.document.nodes.find((n: { id: string }) => n.id === 'quick-reply');
  expect(qr.settings.text).toBe('👋 Hi {{cart.total}}, what now?');
  expect(qr.settings.options.map((o: { label: string }) => o.label)).toEqual(['Option 4', 'Yes', 'No']);
});

test('pan, zoom and fit move the view', async ({ page }) => {
  await signUp(page, 'View');
  const bot = await (await page.request.post('/api/v1/bots', { data: { name: 'Shop', template: 'shop' } })).json();
  await page.goto(`/bots/${bot.id}/edit`);
  await hydrated(page);
  await expect(page.locator('.node')).toHaveCount(13);
  // Opened fitted to the screen.
  await expect.poll(async () => { const v = await viewOf(page); return v.x !== 0 || v.y !== 0 || v.zoom !== 1; }).toBe(true);
  const fitted = await viewOf(page);
  expect(Math.abs(await zoomPercent(page) - fitted.zoom * 100)).toBeLessThanOrEqual(1);

  // The zoom buttons, by a quarter each way.
  await page.getByRole('button', { name: 'Zoom in' }).click();
  expect((await viewOf(page)).zoom).toBeCloseTo(fitted.zoom * 1.25, 2);
  expect(Math.abs(await zoomPercent(page) - fitted.zoom * 125)).toBeLessThanOrEqual(1);
  await page.getByRole('button', { name: 'Zoom out' }).click();
  expect((await viewOf(page)).zoom).toBeCloseTo(fitted.zoom, 2);

  // Ctrl + wheel zooms around the pointer; a plain wheel pans.
  const bg = await backgroundPoint(page);
  await page.mouse.move(bg.x, bg.y);
  await page.keyboard.down('Control');
  await page.mouse.wheel(0, -200);
  await page.keyboard.up('Control');
  await expect.poll(() => zoomPercent(page)).toBeGreaterThan(Math.round(fitted.zoom * 100));
  const zoomed = await viewOf(page);
  expect(zoomed.zoom).toBeGreaterThan(fitted.zoom);
  await page.mouse.wheel(0, 100);
  await expect.poll(async () => (await viewOf(page)).y).toBeCloseTo(zoomed.y - 100, 0);

  // Dragging the background pans: every card moves with it.
  const before = await viewOf(page);
  const card = (await page.locator('[data-node-id="welcome"]').boundingBox())!;
  const from = await backgroundPoint(page);
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  await page.mouse.move(from.x + 150, from.y + 90, { steps: 6 });
  await page.mouse.up();
  const after = await viewOf(page);
  expect(after.x - before.x).toBeCloseTo(150, 0);
  expect(after.y - before.y).toBeCloseTo(90, 0);
  expect(after.zoom).toBe(before.zoom);
  const moved = (await page.locator('[data-node-id="welcome"]').boundingBox())!;
  expect(moved.x - card.x).toBeCloseTo(150, 0);
  expect(moved.y - card.y).toBeCloseTo(90, 0);
  // Panning is not editing: nothing to undo, no step moved in the flow.
  await expect(page.getByRole('button', { name: 'Undo' })).toBeDisabled();

  // Fit brings back the fitted view, with every card on screen.
  await page.getByRole('button', { name: 'Fit to screen' }).click();
  const refit = await viewOf(page);
  expect(refit).not.toEqual(after);
  expect(refit.zoom).toBeCloseTo(fitted.zoom, 2);
  expect(refit.x).toBeCloseTo(fitted.x, 0);
  expect(refit.y).toBeCloseTo(fitted.y, 0);
  const area = (await page.locator('.canvas').boundingBox())!;
  for (const box of await page.locator('.node').evaluateAll((els) => els.map((e) => e.getBoundingClientRect().toJSON()))) {
    expect(box.left).toBeGreaterThanOrEqual(area.x - 1);
    expect(box.top).toBeGreaterThanOrEqual(area.y - 1);
    expect(box.right).toBeLessThanOrEqual(area.x + area.width + 1);
    expect(box.bottom).toBeLessThanOrEqual(area.y + area.height + 1);
  }
});

test('the preview chat answers calls to your system, restarts and shows remembered values', async ({ page }) => {
  await signUp(page, 'Preview');
  const id = await botWith(page, 'Lookup', {
    schema: 1,
    start: 'ask',
    nodes: [
      { id: 'ask', type: 'ask', position: { x: 0, y: 0 }, settings: { text: 'Your name?', save_as: 'name' } },
      { id: 'call', type: 'http_request', position: { x: 300, y: 0 }, settings: { method: 'GET', url: 'https://shop.example/hello?n={{name}}', save_as: 'reply' } },
      { id: 'ok', type: 'end', position: { x: 600, y: 0 }, settings: { text: 'Hello {{name}}, your system said {{reply}}' } },
      { id: 'down', type: 'end', position: { x: 600, y: 200 }, settings: { text: 'Our system is down.' } },
    ],
    edges: [
      { from: 'ask', port: 'next', to: 'call' },
      { from: 'call', port: 'ok', to: 'ok' },
      { from: 'call', port: 'error', to: 'down' },
    ],
  });
  await page.goto(`/bots/${id}/edit`);
  await hydrated(page);
  await page.getByRole('tab', { name: 'Try it' }).click();
  const chat = page.getByTestId('preview-chat');
  await expect(chat.getByText('None yet.')).toBeVisible();
  await chat.getByRole('button', { name: 'Start the conversation' }).click();
  await expect(chat.locator('.wc-bot')).toHaveText(['Your name?']);
  await chat.getByLabel('Message to the bot').fill('Ana');
  await chat.getByRole('button', { name: 'Send' }).click();
  // The call is shown, not made, and the conversation goes on.
  await expect(chat.getByTestId('simulated-call')).toContainText('(would call GET https://shop.example/hello?n=Ana');
  await expect(chat.getByText('Hello Ana, your system said {}')).toBeVisible();
  await expect(page.locator('[data-node-id="ok"]')).toHaveClass(/current/);
  const vars = chat.getByTestId('preview-vars');
  await expect(vars.locator('dt')).toHaveText(['name', 'reply']);
  await expect(vars.locator('dd')).toHaveText(['Ana', '{}']);

  // Restart: a fresh conversation, nothing remembered; this time the call fails.
  await chat.getByLabel('When the flow calls your system').selectOption('failure');
  await chat.getByRole('button', { name: 'Restart' }).click();
  await expect(chat.locator('.wc-b')).toHaveCount(1);
  await expect(chat.locator('.wc-bot')).toHaveText(['Your name?']);
  await expect(chat.getByText('Hello Ana')).toHaveCount(0);
  await expect(chat.getByText('None yet.')).toBeVisible();
  await expect(page.locator('[data-node-id="ask"]')).toHaveClass(/current/);
  await expect(page.locator('.node.on-path')).toHaveCount(1);
  await chat.getByLabel('Message to the bot').fill('Bea');
  await chat.getByRole('button', { name: 'Send' }).click();
  await expect(chat.getByTestId('simulated-call')).toContainText('pretending it failed');
  await expect(chat.getByText('Our system is down.')).toBeVisible();
  await expect(vars.locator('dd')).toHaveText(['Bea', '']);
});

test('undo and imports that bring a step back as another type switch its form', async ({ page }) => {
  await signUp(page, 'Types');
  const bot = await (await page.request.post('/api/v1/bots', { data: { name: 'Types' } })).json();
  await page.goto(`/bots/${bot.id}/edit`);
  await hydrated(page);
  const file = (type: string, settings: object) => ({
    name: 'flow.json', mimeType: 'application/json',
    buffer: Buffer.from(JSON.stringify({ schema: 1, start: 'x', nodes: [{ id: 'x', type, position: { x: 0, y: 0 }, settings }] })),
  });
  await page.getByTestId('import-file').setInputFiles(file('message', { text: 'I am a message' }));
  await expect(page.getByTestId('notice')).toContainText('Imported 1 step(s).');
  await page.getByTestId('import-file').setInputFiles(file('end', { text: 'I am the end' }));
  await expect(page.locator('[data-node-id="x"]')).toHaveAttribute('data-type', 'end');
  await page.locator('[data-node-id="x"] .node-head').click();
  const inspector = page.getByTestId('inspector');
  await expect(inspector.locator('h2')).toHaveText('End');
  await expect(inspector.getByRole('textbox', { name: 'Goodbye' })).toHaveValue('I am the end');
  // Undo: the same id, now a message again, with the message's form.
  await page.keyboard.press('Control+z');
  await expect(page.locator('[data-node-id="x"]')).toHaveAttribute('data-type', 'message');
  await expect(inspector.locator('h2')).toHaveText('Message');
  await expect(inspector.getByLabel('Message', { exact: true })).toHaveValue('I am a message');
  await expect(inspector.getByRole('textbox', { name: 'Goodbye' })).toHaveCount(0);
  // Redo: an end again, with the end's form.
  await page.keyboard.press('Control+Shift+z');
  await expect(inspector.locator('h2')).toHaveText('End');
  await expect(inspector.getByRole('textbox', { name: 'Goodbye' })).toHaveValue('I am the end');
  await page.keyboard.press('Control+z');
  // The form edits the step it shows.
  await inspector.getByLabel('Message', { exact: true }).fill('Still a message');
  await expect(page.locator('[data-node-id="x"] .node-body')).toHaveText('Still a message');
  await expect(page.locator('[data-node-id="x"]')).toHaveAttribute('data-type', 'message');
});

test('edits that could not be saved on the way out are offered back', async ({ page }) => {
  await signUp(page, 'Offline');
  const bot = await (await page.request.post('/api/v1/bots', { data: { name: 'FAQ', template: 'faq' } })).json();
  const draftText = async () => {
    const d = await (await page.request.get(`/api/v1/bots/${bot.id}/draft`)).json();
    return d.document.nodes.find((n: { id: string }) => n.id === 'welcome').settings.text as string;
  };
  const original = await draftText();
  await page.goto(`/bots/${bot.id}/edit`);
  await hydrated(page);
  // The connection drops: every save fails.
  let refused = 0;
  await page.route('**/_app/editor/save', (route) => { refused++; return route.abort('internetdisconnected'); });
  await page.locator('[data-node-id="welcome"] .node-head').click();
  await page.getByLabel('Message', { exact: true }).fill('Written while offline');
  await page.getByRole('link', { name: 'Bots' }).click();
  await expect(page).toHaveURL(/\/dashboard$/);
  await expect.poll(() => refused).toBeGreaterThan(0);
  expect(await draftText()).toBe(original);

  // Back online and back in the editor: the edits are offered back.
  await page.unroute('**/_app/editor/save');
  await page.goto(`/bots/${bot.id}/edit`);
  await hydrated(page);
  const banner = page.getByTestId('recovered');
  await expect(banner).toContainText('could not be saved');
  await expect(page.locator('[data-node-id="welcome"] .node-body')).toHaveText(original);
  await banner.getByRole('button', { name: 'Bring my changes back' }).click();
  await expect(banner).toHaveCount(0);
  await expect(page.locator('[data-node-id="welcome"] .node-body')).toHaveText('Written while offline');
  await saved(page);
  expect(await draftText()).toBe('Written while offline');

  // Once saved, nothing is offered any more.
  await page.reload();
  await hydrated(page);
  await expect(page.locator('[data-node-id="welcome"] .node-body')).toHaveText('Written while offline');
  await expect(page.getByTestId('recovered')).toHaveCount(0);
});

/** Controls in the accessibility tree, as Chromium computes it, that have no name. */
async function unnamedControls(page: Page) {
  const cdp = await page.context().newCDPSession(page);
  const { nodes } = await cdp.send('Accessibility.getFullAXTree') as {
    nodes: { ignored: boolean; role?: { value: string }; name?: { value: string }; backendDOMNodeId?: number }[]
  };
  const controls = new Set(['button', 'link', 'textbox', 'combobox', 'PopUpButton', 'ComboBoxSelect', 'listbox', 'checkbox', 'radio', 'spinbutton', 'tab', 'switch', 'slider', 'searchbox', 'menuitem']);
  const bad: string[] = [];
  for (const n of nodes) {
    if (n.ignored || !controls.has(n.role?.value ?? '') || (n.name?.value ?? '').trim()) continue;
    let html = `backend node ${n.backendDOMNodeId}`;
    try {
      const { object } = await cdp.send('DOM.resolveNode', { backendNodeId: n.backendDOMNodeId }) as { object: { objectId: string } };
      const { result } = await cdp.send('Runtime.callFunctionOn', {
        objectId: object.objectId, functionDeclaration: 'function () { return this.outerHTML.slice(0, 120); }', returnByValue: true,
      }) as { result: { value: string } };
      html = result.value;
    } catch { /* the role alone still says what is wrong */ }
    bad.push(`${n.role!.value}: ${html}`);
  }
  await cdp.detach();
  return bad;
}

test('every control has an accessible name, for every step type and panel', async ({ page }) => {
  await signUp(page, 'Names');
  expect((await page.request.post('/api/v1/products', { data: { sku: 'TEE', name: 'Tee', price: '15', collections: ['Shirts'] } })).status()).toBe(201);
  const bot = await (await page.request.post('/api/v1/bots', { data: { name: 'Names' } })).json();
  await page.goto(`/bots/${bot.id}/edit`);
  await hydrated(page);
  expect(await unnamedControls(page)).toEqual([]);
  const types = await page.locator('.palette-item').evaluateAll((els) => els.map((e) => e.getAttribute('data-type')!));
  expect(types.length).toBeGreaterThan(10);
  for (const type of types) {
    await page.locator(`.palette-item[data-type="${type}"]`).click();
    await expect(page.getByTestId('inspector')).toBeVisible();
    await expect(page.locator('.node.selected')).toHaveAttribute('data-type', type);
    if (type === 'product_carousel') {
      // Each way of choosing products has its own controls.
      for (const source of ['collection', 'skus', 'search']) {
        await page.getByLabel('Which products').selectOption(source);
        expect(await unnamedControls(page), `${type}, ${source}`).toEqual([]);
      }
    }
    expect(await unnamedControls(page), type).toEqual([]);
    // The same controls, found by role and name as assistive technology does.
    await expect(page.getByRole('button', { name: 'Delete this step' })).toBeVisible();
    await expect(page.getByRole('region', { name: /^Flow canvas/ })).toBeVisible();
    await expect(page.getByRole('group', { name: new RegExp(`^the .* step`) }).first()).toBeVisible();
  }
  // Two steps selected, then nothing selected.
  await page.getByRole('button', { name: 'Fit to screen' }).click();
  await page.locator('.node .node-head').first().click();
  await page.locator('.node .node-head').nth(1).click({ modifiers: ['Shift'] });
  await expect(page.getByRole('button', { name: /^Delete 2 steps$/ })).toBeVisible();
  expect(await unnamedControls(page), 'two steps').toEqual([]);
  await page.locator('.canvas').click({ position: { x: 5, y: 5 } });
  await expect(page.getByRole('heading', { name: 'Flow settings' })).toBeVisible();
  await page.getByRole('button', { name: 'Add a shortcut' }).click();
  await expect(page.getByRole('textbox', { name: 'Keywords of shortcut 1' })).toBeVisible();
  await expect(page.getByRole('combobox', { name: 'Where shortcut 1 leads' })).toBeVisible();
  expect(await unnamedControls(page), 'flow settings').toEqual([]);
  // The preview, mid-conversation, and the history.
  await page.getByRole('tab', { name: 'Try it' }).click();
  await page.getByRole('button', { name: 'Start the conversation' }).click();
  await expect(page.getByRole('textbox', { name: 'Message to the bot' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Restart' })).toBeVisible();
  expect(await unnamedControls(page), 'preview').toEqual([]);
  await page.getByRole('tab', { name: 'History' }).click();
  await expect(page.getByRole('heading', { name: 'Published versions' })).toBeVisible();
  expect(await unnamedControls(page), 'history').toEqual([]);
  await expect(page.getByRole('tab', { name: 'History' })).toHaveAttribute('aria-selected', 'true');
});
