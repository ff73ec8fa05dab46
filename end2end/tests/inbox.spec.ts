import { expect, test } from '@playwright/test';
import { merchantSite } from './site';

test('a shopper asks for a person, the merchant answers from the inbox and hands back to the bot', async ({ page }) => {
  let scriptTag = '';
  const site = await merchantSite(() => `<!DOCTYPE html><html><head><title>Ana's Sneakers</title></head>
    <body><h1>Ana's Sneakers</h1>${scriptTag}</body></html>`);
  try {
    const email = `inbox+${Date.now()}@example.com`;
    expect((await page.request.post('/api/v1/signup', {
      data: { email, password: 'correct horse battery staple', workspace: "Ana's Sneakers" },
    })).status()).toBe(201);
    expect((await page.request.post('/api/v1/products', {
      data: { sku: 'RUN-1', name: 'Runner Pro', price: '89.90', stock: 5 },
    })).status()).toBe(201);
    const bot = await (await page.request.post('/api/v1/bots', { data: { name: 'Shop', template: 'shop' } })).json();
    expect((await page.request.post(`/api/v1/bots/${bot.id}/publish`)).status()).toBe(201);
    const channel = await page.request.post('/api/v1/channels', {
      data: { kind: 'web', bot_id: bot.id, allowed_origins: [site.url] },
    });
    expect(channel.status()).toBe(201);
    scriptTag = (await channel.json()).script_tag;

    // The merchant's inbox is open before anything happens.
    const inbox = await page.context().newPage();
    await inbox.goto('/conversations');
    await expect(inbox.locator('body')).toHaveAttribute('data-hydrated', 'true');
    await expect(inbox.getByTestId('no-conversations')).toBeVisible();

    // The shopper chats and asks for a person.
    await page.goto(site.url);
    await page.getByRole('button', { name: 'Chat with us' }).click();
    const chat = page.frameLocator('iframe[data-botme="panel"]');
    await expect(chat.getByText('Welcome to our shop')).toBeVisible();
    await chat.getByLabel('Message').fill('person');
    await chat.getByRole('button', { name: 'Send' }).click();
    await expect(chat.getByText('A person from our team will answer you here')).toBeVisible();

    // The inbox shows it live, waiting, without a reload; so does the
    // top bar and the tab's title.
    await expect(inbox.getByTestId('waiting-badge')).toBeVisible();
    await expect(inbox.getByTestId('waiting-count')).toHaveText('1 waiting');
    await expect(inbox).toHaveTitle(/^\(1\) /);
    await inbox.getByTestId('conversation-row').first().locator('a').click();
    await expect(inbox.getByTestId('conversation-state')).toContainText('Waiting for a person');
    await expect(inbox.getByTestId('reply-window')).toContainText('sees your reply');

    // The merchant answers; the shopper sees it in the widget.
    await inbox.getByTestId('reply-text').fill('Hi! Sam here. Which size do you need?');
    await inbox.getByTestId('reply-send').click();
    await expect(inbox.getByText('Sent.')).toBeVisible();
    await expect(chat.getByText('Hi! Sam here. Which size do you need?')).toBeVisible();
    await expect(inbox.getByTestId('conversation-state')).toContainText('A person is answering');

    // The bot stays silent while the person holds the conversation.
    await chat.getByLabel('Message').fill('Size 42 please');
    await chat.getByRole('button', { name: 'Send' }).click();
    await expect(inbox.getByTestId('transcript')).toContainText('Size 42 please');
    await expect(chat.getByText('Welcome to our shop')).toHaveCount(1);

    // Handed back: the bot starts over and answers the next message.
    await inbox.getByTestId('resume').click();
    await expect(inbox.getByText('The bot is answering again.')).toBeVisible();
    await expect(chat.getByText('Welcome to our shop')).toHaveCount(2);
    await chat.getByRole('button', { name: 'Browse products' }).last().click();
    await expect(chat.locator('.wc-card', { hasText: 'Runner Pro' })).toBeVisible();
    const kinds = await inbox.getByTestId('transcript-action').allTextContents();
    expect(kinds.join(' | ')).toContain('handed it back to the bot');

    // On a phone the inbox and the conversation fit the screen.
    await inbox.setViewportSize({ width: 390, height: 800 });
    for (const path of ['/conversations', inbox.url()]) {
      await inbox.goto(path);
      const overflow = await inbox.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow, `${path} is no wider than the phone`).toBeLessThanOrEqual(0);
    }
    await expect(inbox.getByTestId('reply-text')).toBeVisible();
  } finally {
    site.close();
  }
});
