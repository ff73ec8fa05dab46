import { expect, test } from '@playwright/test';
import { merchantSite } from './site';

test('a shopper buys through the widget embedded on another site', async ({ page }) => {
  let scriptTag = '';
  const site = await merchantSite(() => `<!DOCTYPE html><html><head><title>Ana's Sneakers</title></head>
    <body><h1>Ana's Sneakers</h1><p>Handmade running shoes.</p>${scriptTag}</body></html>`);
  const blocked = await merchantSite(() => `<!DOCTYPE html><html><body><h1>Not allowed</h1>${scriptTag}</body></html>`);
  try {
    const email = `widget+${Date.now()}@example.com`;
    expect((await page.request.post('/api/v1/signup', {
      data: { email, password: 'correct horse battery staple', workspace: "Ana's Sneakers" },
    })).status()).toBe(201);
    // Merchant text with markup in it must show as text, never run.
    const sneaky = '<img src=x onerror=alert(1)>Tag';
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    for (const p of [
      { sku: 'RUN-1', name: 'Runner Pro', price: '89.90', stock: 5 },
      { sku: 'SOCK-3', name: 'Socks', price: '9' },
      { sku: 'TAG-1', name: sneaky, price: '5' },
    ]) {
      expect((await page.request.post('/api/v1/products', { data: p })).status()).toBe(201);
    }
    const bot = await (await page.request.post('/api/v1/bots', { data: { name: 'Shop <i>bot</i>', template: 'shop' } })).json();
    expect((await page.request.post(`/api/v1/bots/${bot.id}/publish`)).status()).toBe(201);
    const channel = await page.request.post('/api/v1/channels', {
      data: { kind: 'web', bot_id: bot.id, allowed_origins: [site.url] },
    });
    expect(channel.status()).toBe(201);
    scriptTag = (await channel.json()).script_tag;

    await page.goto(site.url);
    const bubble = page.getByRole('button', { name: 'Chat with us' });
    await expect(bubble).toHaveAttribute('aria-expanded', 'false');
    await bubble.click();
    await expect(bubble).toHaveAttribute('aria-expanded', 'true');
    const chat = page.frameLocator('iframe[data-botme="panel"]');
    await expect(chat.locator('#title')).toHaveText('Shop <i>bot</i>');
    await expect(chat.locator('#title i')).toHaveCount(0);
    await expect(chat.getByText('Welcome to our shop')).toBeVisible();

    await chat.getByRole('button', { name: 'Browse products' }).click();
    await expect(chat.locator('.wc-card')).toHaveCount(3);
    await expect(chat.locator('.wc-card', { hasText: 'onerror' })).toContainText(sneaky);
    await expect(chat.locator('.wc-card img[src="x"]')).toHaveCount(0);
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
    await expect(chat.getByText('Your order 1001 is placed')).toBeVisible();
    // Escaping: what the shopper typed is shown as text, never as markup.
    await chat.getByLabel('Message').fill('<b>bold?</b>');
    await chat.getByRole('button', { name: 'Send' }).click();
    await expect(chat.locator('.wc-me').last()).toHaveText('<b>bold?</b>');

    // Reloading the merchant's page resumes the same conversation.
    await page.reload();
    await page.getByRole('button', { name: 'Chat with us' }).click();
    await expect(page.frameLocator('iframe[data-botme="panel"]').getByText('Your order 1001 is placed')).toBeVisible();

    // The merchant sees the order and the conversation.
    await page.goto('/orders');
    await expect(page.getByTestId('order-row')).toHaveCount(1);
    await expect(page.getByTestId('order-row')).toContainText('#1001');
    await page.goto('/conversations');
    await expect(page.getByTestId('conversation-row')).toHaveCount(1);
    await page.getByTestId('conversation-row').getByRole('link').click();
    await expect(page.getByTestId('transcript')).toContainText('Rua Augusta 100');

    expect(dialogs, 'no merchant text ran as script').toEqual([]);

    // A site that is not allowed cannot show the chat: the browser refuses
    // to frame it (and says why), so the chat never appears.
    const refused = page.waitForEvent('console', {
      predicate: (m) => m.text().includes('frame-ancestors'),
      timeout: 15_000,
    });
    await page.goto(blocked.url);
    await page.getByRole('button', { name: 'Chat with us' }).click();
    await refused;
    await expect(page.locator('iframe[data-botme="panel"]')).toHaveCount(1);
    await expect(page.frameLocator('iframe[data-botme="panel"]').locator('#log')).toHaveCount(0);
  } finally {
    site.close();
    blocked.close();
  }
});

test('the channels page shows how to connect', async ({ page }) => {
  const email = `channels+${Date.now()}@example.com`;
  await page.request.post('/api/v1/signup', {
    data: { email, password: 'correct horse battery staple', workspace: 'Channel shop' },
  });
  await page.request.post('/api/v1/bots', { data: { name: 'Helper', template: 'faq' } });
  await page.goto('/channels');
  await expect(page.getByTestId('no-channels')).toBeVisible();
  const form = page.getByTestId('connect-web');
  await form.getByLabel('Your website addresses, one per line').fill('https://shop.example\nhttp://localhost:8080');
  await form.getByRole('button', { name: 'Create chat bubble' }).click();
  await expect(page.getByText('Web chat is connected.')).toBeVisible();
  await expect(page.getByTestId('script-tag')).toHaveValue(/<script src="http:\/\/127\.0\.0\.1:\d+\/widget\.js" data-botme-key="wk_[^"]+" async><\/script>/);
  await page.getByRole('button', { name: 'Disconnect' }).click();
  await expect(page.getByTestId('no-channels')).toBeVisible();
});
