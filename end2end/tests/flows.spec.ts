import { expect, test, type Page } from '@playwright/test';

async function hydrated(page: Page) {
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
}

function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(msg.text());
  });
  page.on('pageerror', (err) => errors.push(String(err)));
  page.on('response', (res) => {
    if (res.status() >= 500) errors.push(`${res.status()} ${res.url()}`);
  });
  return errors;
}

test('a merchant fills the catalog, builds a shop bot from a template, tries it and publishes', async ({ page }) => {
  const errors = watchErrors(page);
  const email = `shop+${Date.now()}@example.com`;
  const signup = await page.request.post('/api/v1/signup', {
    data: { email, password: 'correct horse battery staple', workspace: 'Sneaker Shop' },
  });
  expect(signup.status()).toBe(201);

  // Catalog: one product by hand, the rest from a spreadsheet.
  await page.goto('/products');
  await expect(page.getByTestId('no-products')).toBeVisible();
  const form = page.getByTestId('new-product');
  await form.getByLabel('Name').fill('Runner Pro');
  await form.getByLabel('SKU').fill('RUN-1');
  await form.getByLabel('Price').fill('89.90');
  await form.getByLabel('Stock').fill('5');
  await form.getByLabel('Collections').fill('Shoes');
  await form.getByRole('button', { name: 'Add product' }).click();
  await expect(page.getByText('“Runner Pro” added to the catalog.')).toBeVisible();

  await page.getByLabel('CSV file').setInputFiles({
    name: 'bad.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from('sku,name,price\nSOCK,Socks,x\n,Cap,5\n'),
  });
  await page.getByRole('button', { name: 'Import' }).click();
  await expect(page.getByRole('alert')).toContainText('nothing was imported');
  await expect(page.getByTestId('flash-details')).toContainText('Row 2: Price');
  await expect(page.getByTestId('flash-details')).toContainText('Row 3:');
  await expect(page.getByTestId('product-row')).toHaveCount(1);

  await page.getByLabel('CSV file').setInputFiles({
    name: 'good.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from('sku,name,price,collections\nSOCK,Socks,9,Extras\nCAP,"Cap, blue",15,Extras\n'),
  });
  await page.getByRole('button', { name: 'Import' }).click();
  await expect(page.getByText('Imported: 2 new, 0 updated.')).toBeVisible();
  await expect(page.getByTestId('product-row')).toHaveCount(3);

  // A bot from the shop template.
  await page.goto('/dashboard');
  const create = page.getByTestId('create-bot');
  await create.getByLabel('Name').fill('Shop assistant');
  await create.getByRole('radio', { name: /^Shop Greets/ }).check();
  await create.getByRole('button', { name: 'Create bot' }).click();
  // A new bot opens in the editor; its overview is one link away.
  await expect(page).toHaveURL(/\/bots\/\d+\/edit$/);
  await expect(page.locator('.node')).toHaveCount(13);
  await page.getByRole('link', { name: 'Shop assistant' }).click();
  await expect(page).toHaveURL(/\/bots\/\d+$/);
  await expect(page.getByTestId('bot-status')).toHaveText('Not published yet');
  await expect(page.locator('.outline .step')).toHaveCount(13);

  // Try it in the test chat: buttons the bot sent are tappable.
  await hydrated(page);
  const chat = page.getByTestId('test-chat');
  await chat.getByLabel('Message').fill('hi');
  await chat.getByRole('button', { name: 'Send' }).click();
  await expect(chat.locator('.wc-bot').first()).toContainText('Welcome to our shop');
  await chat.getByRole('button', { name: 'Browse products' }).click();
  await expect(chat.locator('.wc-card')).toHaveCount(3);
  await chat.locator('.wc-card', { hasText: 'Runner Pro' }).getByRole('button', { name: 'Add to cart' }).click();
  await expect(chat.getByText('Added Runner Pro to your cart')).toBeVisible();
  await chat.getByRole('button', { name: 'Checkout' }).last().click();
  for (const answer of ['Ana Lima', 'Rua Augusta 100, 1100-053 Lisboa', '+351 912 345 678']) {
    await chat.getByLabel('Message').fill(answer);
    await chat.getByRole('button', { name: 'Send' }).click();
    await expect(chat.locator('.wc-me').last()).toHaveText(answer);
  }
  await chat.getByRole('button', { name: 'Confirm order' }).last().click();
  await chat.getByRole('button', { name: 'Cash on delivery' }).last().click();
  await expect(chat.getByText('Your order TEST-1 is placed')).toBeVisible();
  await expect(chat.getByText('This test would have placed 1 order(s); none was stored.')).toBeVisible();

  // Publish, then roll back to v1 as v2.
  await page.getByTestId('publish').click();
  await expect(page.getByText('Published as version 1.')).toBeVisible();
  await expect(page.getByTestId('bot-status')).toHaveText('Live: version 1');
  await page.getByTestId('versions').getByRole('button', { name: 'Restore as new version' }).click();
  await expect(page.getByText('Version 1 is live again, as version 2.')).toBeVisible();
  await expect(page.getByTestId('versions').locator('tbody tr')).toHaveCount(2);
  await page.getByTestId('versions').getByRole('link', { name: 'View' }).first().click();
  await expect(page.getByRole('heading', { name: 'Shop assistant: version 2' })).toBeVisible();

  // No order was stored by the test chat.
  await page.goto('/orders');
  await expect(page.getByTestId('no-orders')).toBeVisible();
  expect(errors).toEqual([]);
});

test('a blank bot shows its problems and cannot be published', async ({ page }) => {
  const email = `blank+${Date.now()}@example.com`;
  await page.request.post('/api/v1/signup', {
    data: { email, password: 'correct horse battery staple', workspace: 'Blank Shop' },
  });
  const bot = await page.request.post('/api/v1/bots', { data: { name: 'Empty' } });
  const { id } = await bot.json();
  await page.goto(`/bots/${id}`);
  await expect(page.getByTestId('problems')).toContainText('Choose the step where conversations start.');
  await expect(page.getByTestId('publish')).toBeDisabled();
});
