import { expect, test, type Page } from '@playwright/test';

/** Fails the test on any console error or uncaught exception (hydration bugs show up here). */
function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(msg.text());
  });
  page.on('pageerror', (err) => errors.push(String(err)));
  page.on('response', (res) => {
    if (res.status() >= 400) errors.push(`${res.status()} ${res.url()}`);
  });
  return errors;
}

async function hydrated(page: Page) {
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
}

test('sign up, create a bot, log out, log back in and still see it', async ({ page }) => {
  const errors = watchErrors(page);
  const email = `ana+${Date.now()}@example.com`;
  const password = 'correct horse battery staple';

  await page.goto('/signup');
  await hydrated(page);
  await page.getByLabel('Email').fill(email);

  // The password hint is live once the page is hydrated.
  const password_input = page.getByLabel('Password', { exact: true });
  await password_input.fill('short');
  await expect(page.locator('#password-hint')).toContainText('at least 10 characters');
  await password_input.fill(password);
  await expect(page.locator('#password-hint')).toHaveText('Good password.');

  await page.getByLabel('Shop or workspace name').fill("Ana's Sneakers");
  await page.getByRole('button', { name: 'Create account' }).click();

  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.getByText('Welcome to Botme!')).toBeVisible();
  await expect(page.getByTestId('no-bots')).toBeVisible();
  await expect(page.getByTestId('current-user')).toHaveText(email);

  await page.getByTestId('create-bot').getByLabel('Name').fill('Summer sale assistant');
  await page.getByRole('button', { name: 'Create bot' }).click();
  await expect(page.getByText('Bot “Summer sale assistant” created.')).toBeVisible();
  await expect(page).toHaveURL(/\/bots\/\d+\/edit$/);
  await page.getByRole('link', { name: 'Bots' }).click();
  await expect(page.getByTestId('bot-row')).toHaveCount(1);
  await expect(page.getByTestId('bot-row').locator('.bot-name')).toHaveText('Summer sale assistant');

  await hydrated(page);
  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByText('You are logged out.')).toBeVisible();

  // A private page now asks to log in, and returns there afterwards.
  await page.goto('/dashboard');
  await expect(page).toHaveURL(/\/login\?next=%2Fdashboard$/);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('not my password');
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('alert')).toContainText('do not match');
  await expect(page.getByLabel('Email')).toHaveValue(email);

  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.getByTestId('bot-row').locator('.bot-name')).toHaveText('Summer sale assistant');

  expect(errors).toEqual([]);
});

test('forms work before the WASM bundle loads', async ({ browser }) => {
  // No JavaScript at all: the server-rendered forms must still do their job.
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  const email = `nojs+${Date.now()}@example.com`;

  await page.goto('/signup');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill('correct horse battery staple');
  await page.getByLabel('Shop or workspace name').fill('No-JS shop');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(/\/dashboard$/);

  await page.getByTestId('create-bot').getByLabel('Name').fill('Plain HTML bot');
  await page.getByRole('button', { name: 'Create bot' }).click();
  // The editor needs JavaScript and says so; the rest of the app does not.
  await expect(page).toHaveURL(/\/bots\/\d+\/edit$/);
  await expect(page.getByText('The flow editor needs JavaScript')).toBeVisible();
  await page.getByRole('link', { name: 'Bots' }).click();
  await expect(page.getByTestId('bot-row').locator('.bot-name')).toHaveText('Plain HTML bot');

  await page.getByLabel('New name for Plain HTML bot').fill('Renamed bot');
  await page.getByRole('button', { name: 'Rename' }).click();
  await expect(page.getByTestId('bot-row').locator('.bot-name')).toHaveText('Renamed bot');

  await page.getByRole('button', { name: 'Delete' }).click();
  await expect(page.getByTestId('no-bots')).toBeVisible();
  await context.close();
});

test('deleting a bot asks for confirmation once hydrated', async ({ page }) => {
  const errors = watchErrors(page);
  const email = `confirm+${Date.now()}@example.com`;
  const signup = await page.request.post('/api/v1/signup', {
    data: { email, password: 'correct horse battery staple', workspace: 'Confirm shop' },
  });
  expect(signup.status()).toBe(201);
  const bot = await page.request.post('/api/v1/bots', { data: { name: 'Keep me' } });
  expect(bot.status()).toBe(201);

  await page.goto('/dashboard');
  await hydrated(page);
  page.once('dialog', (d) => d.dismiss());
  await page.getByRole('button', { name: 'Delete' }).click();
  await expect(page.getByTestId('bot-row')).toHaveCount(1);

  page.once('dialog', (d) => d.accept());
  await page.getByRole('button', { name: 'Delete' }).click();
  await expect(page.getByText('Bot deleted.')).toBeVisible();
  await expect(page.getByTestId('no-bots')).toBeVisible();
  expect(errors).toEqual([]);
});

test('an owner invites a teammate, who logs in from the link and accepts', async ({ browser }) => {
  const stamp = Date.now();
  const ownerEmail = `owner+${stamp}@example.com`;
  const mateEmail = `mate+${stamp}@example.com`;
  const password = 'correct horse battery staple';

  // The owner invites by email in Settings and is shown the link once.
  const ownerContext = await browser.newContext();
  const owner = await ownerContext.newPage();
  const ownerErrors = watchErrors(owner);
  const signup = await owner.request.post('/api/v1/signup', {
    data: { email: ownerEmail, password, workspace: 'Invite shop' },
  });
  expect(signup.status()).toBe(201);
  await owner.goto('/settings');
  await hydrated(owner);
  await owner.getByLabel('Invite by email').fill(mateEmail);
  await owner.locator('#member-role').selectOption('viewer');
  await owner.getByRole('button', { name: 'Create invitation' }).click();
  await expect(owner.getByText(`Invitation for ${mateEmail} as viewer created.`)).toBeVisible();
  const link = await owner.getByLabel('Invitation link').inputValue();
  expect(link).toContain('/invitations/inv_');
  await expect(owner.getByTestId('invitation-list')).toContainText(mateEmail);
  await expect(owner.getByTestId('member-list')).not.toContainText(mateEmail);

  // The teammate has an account but is signed out; the link sends them to
  // log in and back.
  const mateContext = await browser.newContext();
  const mate = await mateContext.newPage();
  const mateErrors = watchErrors(mate);
  const mateSignup = await mate.request.post('/api/v1/signup', {
    data: { email: mateEmail, password, workspace: "Mate's own" },
  });
  expect(mateSignup.status()).toBe(201);
  expect((await mate.request.post('/api/v1/logout')).status()).toBe(204);

  const path = new URL(link).pathname;
  await mate.goto(path);
  await hydrated(mate);
  await expect(mate.getByTestId('invitation-summary')).toContainText('Invite shop');
  await expect(mate.getByTestId('invitation-summary')).toContainText('viewer');
  await expect(mate.getByText('m•••@example.com')).toBeVisible();
  await mate.getByRole('link', { name: 'Log in to accept' }).click();
  await expect(mate).toHaveURL(/\/login\?next=%2Finvitations%2Finv_/);
  await mate.getByLabel('Email').fill(mateEmail);
  await mate.getByLabel('Password').fill(password);
  await mate.getByRole('button', { name: 'Log in' }).click();
  await expect(mate).toHaveURL(new RegExp(`${path}$`));

  await hydrated(mate);
  await mate.getByRole('button', { name: 'Accept invitation' }).click();
  await expect(mate).toHaveURL(/\/dashboard$/);
  await expect(mate.getByText('Welcome to Invite shop! You joined as viewer')).toBeVisible();
  await mate.goto('/settings');
  await expect(mate.getByRole('heading', { name: 'Settings for Invite shop' })).toBeVisible();
  await expect(mate.getByText('Your role here: Viewer')).toBeVisible();

  // The owner sees the new member; the invitation is no longer pending.
  await owner.goto('/settings');
  await expect(owner.getByTestId('member-list')).toContainText(mateEmail);
  await expect(owner.getByText('No pending invitations.')).toBeVisible();

  expect(ownerErrors).toEqual([]);
  expect(mateErrors).toEqual([]);
  await ownerContext.close();
  await mateContext.close();
});
