// Usage reports (/reports and its printable view), organization JWTs in Settings (minted,
// shown once, used by an application through the proxy, auto-create, revoked), and ratings
// per model on the usage page.
import { expect, test, type APIRequestContext, type Page } from './fixtures';
import { BASE_URL, OWNER, gotoHydrated, heading, mainNav, signIn, waitForHydration } from './helpers';
import { addProviderKey, chat, createProjectAndOpen, generateToken, validOpenAiKey } from './projects-helpers';

function currentMonth(): string {
  return new Date().toISOString().slice(0, 7);
}

test('the report of the current month counts a proxied request, and its printable view shows the same', async ({ page, playwright }) => {
  const suffix = Date.now().toString(36);
  const project = `Report ${suffix}`;
  await signIn(page, OWNER.email, OWNER.password);
  await createProjectAndOpen(page, project);
  await addProviderKey(page, `OpenAI reports ${suffix}`, validOpenAiKey(suffix));
  const secret = await generateToken(page, `Report bot ${suffix}`, { expiry: '1h' });
  const api = await playwright.request.newContext();
  expect((await chat(api, secret)).status()).toBe(200);
  await api.dispose();

  await mainNav(page).getByRole('link', { name: 'Reports', exact: true }).click();
  await waitForHydration(page);
  await expect(heading(page, 'Reports')).toBeVisible();
  await expect(page).toHaveTitle('Reports · Keygate');
  await expect(page.getByLabel('Month', { exact: true })).toHaveValue(currentMonth());
  await expect(page.getByRole('button', { name: 'Month', exact: true })).toHaveAttribute('aria-pressed', 'true');
  // The ledger is written off the request path: reload until the project's request shows.
  const byProject = page.getByRole('table', { name: 'By project' });
  await expect(async () => {
    await gotoHydrated(page, '/reports');
    await expect(byProject.getByRole('row').filter({ hasText: project })).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 15_000 });
  const projectRow = byProject.getByRole('row').filter({ hasText: project });
  await expect(projectRow.getByRole('cell').nth(1)).toHaveText('1');
  await expect(projectRow.getByRole('cell').nth(3)).toHaveText('11');
  await expect(projectRow.getByRole('cell').nth(4)).toHaveText('7');
  const total = await page.getByTestId('report-requests').textContent();
  expect(Number((total ?? '').replace(/,/g, ''))).toBeGreaterThanOrEqual(1);
  await expect(page.getByTestId('report-requests-change')).toContainText(/vs \d{4}-\d{2}$/);
  await expect(page.getByTestId('report-projected')).toHaveText(/^(\$|<\$)/);
  await expect(page.getByRole('table', { name: 'By model' })).toContainText('gpt-4o-mini');
  await expect(page.getByRole('table', { name: 'By provider' })).toContainText('OpenAI');
  await expect(page.getByRole('table', { name: 'By user' })).toBeVisible();
  // One bar per day of the month.
  const [year, month] = currentMonth().split('-').map(Number);
  const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
  await expect(page.getByTestId('chart-report-requests').locator('.chart-bar')).toHaveCount(days);
  await expect(page.getByRole('link', { name: 'Download CSV', exact: true }))
    .toHaveAttribute('href', `/api/usage/report.csv?period=${currentMonth()}`);

  // A day: hour by hour.
  await page.getByRole('button', { name: 'Day', exact: true }).click();
  const today = new Date().toISOString().slice(0, 10);
  await expect(page).toHaveURL(`${BASE_URL}/reports?period=${today}`);
  await expect(page.getByLabel('Day', { exact: true })).toHaveValue(today);
  await expect(page.getByTestId('chart-report-requests').locator('.chart-bar')).toHaveCount(24);
  await expect(page.getByRole('table', { name: 'By project' }).getByRole('row').filter({ hasText: project })).toBeVisible();
  await expect(page.getByTestId('report-projected')).toHaveCount(0);
  // Another month through the picker: an old one without usage.
  await page.getByRole('button', { name: 'Month', exact: true }).click();
  await expect(page).toHaveURL(`${BASE_URL}/reports?period=${currentMonth()}`);
  await page.getByLabel('Month', { exact: true }).fill('2020-02');
  await expect(page).toHaveURL(`${BASE_URL}/reports?period=2020-02`);
  await expect(page.getByTestId('report-requests')).toHaveText('0');
  await expect(page.getByText('No usage recorded in this period.')).toBeVisible();
  await expect(page.getByTestId('chart-report-requests').locator('.chart-bar')).toHaveCount(29);

  // The printable view of the current month: the same total, without the app's navigation.
  await gotoHydrated(page, '/reports');
  await expect(page.getByTestId('report-requests')).toHaveText(total ?? '');
  await page.getByRole('link', { name: 'Printable view', exact: true }).click();
  await expect(page).toHaveURL(`${BASE_URL}/reports/print?period=${currentMonth()}`);
  await waitForHydration(page);
  await expect(page.getByRole('heading', { level: 1, name: /^Usage report · / })).toBeVisible();
  await expect(page.getByTestId('report-requests')).toHaveText(total ?? '');
  await expect(page.getByRole('table', { name: 'By project' })).toContainText(project);
  await expect(mainNav(page)).toHaveCount(0);
  await expect(page.locator('.sidebar, .topbar')).toHaveCount(0);
  await expect(page.getByRole('link', { name: 'Download CSV' })).toHaveCount(0);
  // On paper the toolbar goes too.
  await page.emulateMedia({ media: 'print' });
  await expect(page.getByRole('button', { name: 'Print', exact: true })).toBeHidden();
  await page.emulateMedia({ media: 'screen' });
  await expect(page.getByRole('button', { name: 'Print', exact: true })).toBeVisible();
  // Loaded directly (server-rendered) it is the same.
  await gotoHydrated(page, `/reports/print?period=${currentMonth()}`);
  await expect(page.getByTestId('report-requests')).toHaveText(total ?? '');
});

test('reports need a session, and a bad period is refused', async ({ page, browser }) => {
  const anonymous = await browser.newContext();
  const visitor = await anonymous.newPage();
  await visitor.goto(`${BASE_URL}/reports/print?period=2026-01`);
  await expect(visitor).toHaveURL(/\/login(\?.*)?$/);
  await anonymous.close();

  await signIn(page, OWNER.email, OWNER.password);
  await gotoHydrated(page, '/reports?period=2026-13');
  await expect(page.getByRole('alert')).toContainText('Give a month as YYYY-MM or a day as YYYY-MM-DD.');
});

test.describe('on a narrow screen', () => {
  test.use({ viewport: { width: 360, height: 740 } });
  test('the report fits without sideways scrolling', async ({ page }) => {
    await signIn(page, OWNER.email, OWNER.password);
    for (const path of ['/reports', `/reports/print?period=${currentMonth()}`]) {
      await gotoHydrated(page, path);
      await expect(page.getByTestId('report-requests')).toBeVisible();
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      expect(width, `${path} is ${width}px wide`).toBeLessThanOrEqual(360);
    }
  });
});

test('an organization JWT lets an application act for its users until it is revoked', async ({ page, playwright }) => {
  const suffix = Date.now().toString(36);
  const project = `JWT app ${suffix}`;
  const name = `Support app ${suffix}`;
  const appUser = `app-user-1-${suffix}`;
  await signIn(page, OWNER.email, OWNER.password);
  await createProjectAndOpen(page, project);
  await addProviderKey(page, `OpenAI reports ${suffix}`, validOpenAiKey(suffix));

  await gotoHydrated(page, '/settings');
  const card = page.getByRole('region', { name: 'Organization JWTs', exact: true });
  await expect(card).toBeVisible();
  const autoCreate = card.getByLabel('Create users for unknown X-User-IDs', { exact: true });
  await expect(autoCreate).not.toBeChecked();
  await expect(card.getByLabel('Valid for (days)', { exact: true })).toHaveValue('365');
  await card.getByLabel('Application name', { exact: true }).fill(name);
  await card.getByLabel('Valid for (days)', { exact: true }).fill('30');
  await card.getByLabel('Project', { exact: true }).selectOption({ label: project });
  await card.getByRole('button', { name: 'Mint JWT', exact: true }).click();
  await expect(page.getByRole('status')).toContainText(`JWT ${name} minted`);
  const shown = card.getByRole('textbox', { name: /New organization JWT/ });
  await expect(shown).toHaveValue(/^eyJ[\w-]+\.[\w-]+\.[\w-]+$/);
  await expect(card.getByRole('button', { name: 'Copy', exact: true })).toBeVisible();
  const jwt = await shown.inputValue();
  // The form is ready for the next one.
  await expect(card.getByLabel('Application name', { exact: true })).toHaveValue('');
  await expect(card.getByLabel('Valid for (days)', { exact: true })).toHaveValue('365');
  const row = card.getByRole('table', { name: 'Organization JWTs' }).getByRole('row').filter({ hasText: name });
  await expect(row).toContainText(project);
  await expect(row).toContainText('active');
  await expect(row).toContainText('never');

  // An application calls the proxy for one of its users; unknown users are refused…
  const api = await playwright.request.newContext();
  const asUser = () => chat(api, jwt, { headers: { 'X-User-ID': appUser } });
  const refused = await asUser();
  expect(refused.status()).toBe(403);
  expect((await refused.json()).error.message).toContain('Unknown X-User-ID');
  expect((await chat(api, jwt)).status()).toBe(401);

  // …until the organization lets applications create them.
  await autoCreate.check();
  await expect(page.getByRole('status')).toContainText('Users are now created for unknown X-User-IDs');
  await expect(autoCreate).toBeChecked();
  const ok = await asUser();
  expect(ok.status()).toBe(200);
  expect((await ok.json()).choices[0].message.content).toBe('Hello from fake');
  // The answer can be rated, and the usage page shows the model's ratings.
  const rated = await api.post(`${BASE_URL}/v1/chat/completions/chatcmpl-fake1/rating`, {
    headers: { Authorization: `Bearer ${jwt}`, 'X-User-ID': appUser },
    data: { thumbs: 'up' },
  });
  expect(rated.status()).toBe(201);

  // Reloading never shows the token again; the list says it was used.
  await gotoHydrated(page, '/settings');
  await expect(card.getByRole('textbox', { name: /New organization JWT/ })).toHaveCount(0);
  expect(await page.content()).not.toContain(jwt);
  await expect(autoCreate).toBeChecked();
  await expect(row).not.toContainText('never');

  // Revoked: refused at once.
  await row.getByRole('button', { name: 'Revoke', exact: true }).click();
  await page.getByRole('dialog').filter({ hasText: `Revoke ${name}?` })
    .getByRole('button', { name: 'Revoke', exact: true }).click();
  await expect(page.getByRole('status')).toContainText(`JWT ${name} revoked`);
  await expect(row).toContainText('revoked');
  await expect(row.getByRole('button', { name: 'Revoke', exact: true })).toHaveCount(0);
  const gone = await asUser();
  expect(gone.status()).toBe(401);
  expect((await gone.json()).error.message).toContain('revoked');

  // Leave the organization as it was.
  await autoCreate.uncheck();
  await expect(page.getByRole('status')).toContainText('Unknown X-User-IDs are now refused');
  await expect(autoCreate).not.toBeChecked();
  await api.dispose();

  await gotoHydrated(page, '/usage');
  const ratings = page.getByRole('table', { name: 'Ratings by model' });
  const model = ratings.getByRole('row').filter({ hasText: 'gpt-4o-mini' });
  await expect(model).toBeVisible();
  await expect(model.getByRole('cell').nth(1)).not.toHaveText('0');
  await expect(model.getByRole('cell').nth(3)).not.toHaveText('0');
});
