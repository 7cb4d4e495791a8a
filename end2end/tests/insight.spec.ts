// Usage insight and personas: the live /usage dashboard, its ranges and scopes, and a persona
// used through the proxy showing up in its analytics.
import { expect, test, type APIRequestContext, type Page } from './fixtures';
import {
  BASE_URL,
  OWNER,
  createUser,
  gotoHydrated,
  heading,
  signIn,
  signOut,
  uniqueEmail,
  waitForHydration,
} from './helpers';
import { addProviderKey, chat, createProjectAndOpen, generateToken, validOpenAiKey } from './projects-helpers';

test('a request through the proxy shows on the open usage page without a reload', async ({ page, playwright }) => {
  const suffix = Date.now().toString(36);
  const project = `Live usage ${suffix}`;
  await signIn(page, OWNER.email, OWNER.password);
  await createProjectAndOpen(page, project);
  await addProviderKey(page, `OpenAI insight ${suffix}`, validOpenAiKey(suffix));
  const secret = await generateToken(page, `Live bot ${suffix}`, { expiry: '1h' });

  await gotoHydrated(page, '/usage');
  await expect(heading(page, 'Usage')).toBeVisible();
  await expect(page).toHaveTitle('Usage · Keygate');
  await expect(page.getByRole('heading', { name: 'Organization', exact: true })).toBeVisible();
  // Only this project's usage, so the count starts at zero whatever other specs did.
  await page.getByLabel('Project', { exact: true }).selectOption({ label: project });
  await expect(page.getByRole('link', { name: 'Export ledger CSV' })).toHaveAttribute('href', /projectId=\d+/);
  const requests = page.getByTestId('usage-requests');
  await expect(requests).toHaveText('0');
  await expect(page.getByText('No usage recorded in this range.')).toBeVisible();
  await expect(page.getByTestId('live-indicator')).toHaveText('Live');

  const api = await playwright.request.newContext();
  const ok = await chat(api, secret);
  expect(ok.status()).toBe(200);
  // The ledger commit is announced on /api/usage/events and the page refetches.
  await expect(requests).toHaveText('1', { timeout: 1_000 });
  await expect(page.getByTestId('usage-tokens-in')).toHaveText('11');
  await expect(page.getByTestId('usage-tokens-out')).toHaveText('7');
  await expect(page.getByTestId('usage-error-rate')).toHaveText('0.0%');
  await expect(page.getByRole('table', { name: 'Top models' })).toContainText('gpt-4o-mini');
  await expect(page.getByRole('table', { name: 'Top Keygate keys' })).toContainText(`Live bot ${suffix}`);
  await expect(page.getByRole('table', { name: 'By provider' })).toContainText('OpenAI');
  await expect(page.getByRole('table', { name: 'By outcome' }).getByRole('row').filter({ hasText: 'Success' }))
    .toContainText('1');
  await expect(page.getByRole('link', { name: 'Export CSV of top models' })).toHaveAttribute(
    'href',
    /^\/api\/usage\/export\.csv\?groupBy=model&from=[^&]+&to=[^&]+&projectId=\d+$/,
  );
  await expect(page.getByRole('link', { name: 'Export ledger CSV' })).toHaveAttribute(
    'href',
    /^\/api\/usage\/export\.csv\?from=[^&]+&to=[^&]+&projectId=\d+$/,
  );
  // One more request, one more point of data, still without a reload.
  expect((await chat(api, secret)).status()).toBe(200);
  await expect(requests).toHaveText('2', { timeout: 1_000 });
  await expect(page.getByRole('region', { name: 'Cost tracking' }).getByTestId('cost-projected')).toHaveText(/^(\$|<\$)/);
  await api.dispose();
});

test('switching the range redraws the charts', async ({ page }) => {
  await signIn(page, OWNER.email, OWNER.password);
  await gotoHydrated(page, '/usage');
  const points = page.getByTestId('chart-requests').locator('.chart-point');
  const bars = page.getByTestId('chart-cost').locator('.chart-bar');

  await page.getByRole('button', { name: '24 h', exact: true }).click();
  await expect(page.getByRole('button', { name: '24 h', exact: true })).toHaveAttribute('aria-pressed', 'true');
  // From the hour 24 hours ago up to the current hour, both included.
  await expect(points).toHaveCount(25);
  await expect(bars).toHaveCount(25);
  await expect(points.last().locator('title')).toHaveText(/^\d{4}-\d{2}-\d{2} \d{2}:00 — [\d,]+ requests?$/);

  await page.getByRole('button', { name: '7 d', exact: true }).click();
  await expect(points).toHaveCount(7);
  await expect(bars).toHaveCount(7);
  await expect(points.last().locator('title')).toHaveText(/^\d{4}-\d{2}-\d{2} — [\d,]+ requests?$/);
  await expect(bars.last().locator('title')).toHaveText(/^\d{4}-\d{2}-\d{2} — \$/);

  await page.getByRole('button', { name: '30 d', exact: true }).click();
  await expect(points).toHaveCount(30);
  await expect(bars).toHaveCount(30);

  await page.getByRole('button', { name: 'Custom', exact: true }).click();
  await page.getByLabel('From', { exact: true }).fill('2025-03-01');
  await page.getByLabel('To (included)', { exact: true }).fill('2025-03-03');
  await page.getByRole('button', { name: 'Apply', exact: true }).click();
  await expect(points).toHaveCount(3);
  await expect(points.first().locator('title')).toHaveText('2025-03-01 — 0 requests');
  await expect(page.getByRole('link', { name: 'Export ledger CSV' })).toHaveAttribute(
    'href',
    '/api/usage/export.csv?from=2025-03-01T00%3A00%3A00Z&to=2025-03-04T00%3A00%3A00Z',
  );
});

test('a member sees only their own usage', async ({ page, playwright }) => {
  const suffix = Date.now().toString(36);
  const project = `Member usage ${suffix}`;
  const member = {
    name: `Uma Usage ${suffix}`,
    email: uniqueEmail('usage-member'),
    role: 'member' as const,
    password: 'member usage password 1',
  };
  await signIn(page, OWNER.email, OWNER.password);
  await createUser(page, member);
  await createProjectAndOpen(page, project);
  await addProviderKey(page, `OpenAI insight ${suffix}`, validOpenAiKey(suffix));
  const own = await generateToken(page, `Member bot ${suffix}`, { expiry: '1h', actsAs: `${member.name} <${member.email}>` });
  const team = await generateToken(page, `Team bot ${suffix}`, { expiry: '1h' });
  const api = await playwright.request.newContext();
  expect((await chat(api, own)).status()).toBe(200);
  expect((await chat(api, team)).status()).toBe(200);
  expect((await chat(api, team)).status()).toBe(200);
  await api.dispose();

  // The owner sees the project's three requests and who made them.
  await gotoHydrated(page, '/usage');
  await page.getByLabel('Project', { exact: true }).selectOption({ label: project });
  await expect(page.getByTestId('usage-requests')).toHaveText('3');
  await expect(page.getByRole('table', { name: 'Top users' })).toContainText(member.email);
  await signOut(page);

  await signIn(page, member.email, member.password);
  await gotoHydrated(page, '/usage');
  await expect(page.getByRole('heading', { name: 'Your usage', exact: true })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Organization', exact: true })).toHaveCount(0);
  await expect(page.getByLabel('Project', { exact: true })).toHaveCount(0);
  await expect(page.getByTestId('usage-requests')).toHaveText('1');
  await expect(page.getByRole('table', { name: 'Top users' })).toHaveCount(0);
  const keys = page.getByRole('table', { name: 'Top Keygate keys' });
  await expect(keys).toContainText(`Member bot ${suffix}`);
  await expect(keys).not.toContainText(`Team bot ${suffix}`);
  await expect(page.getByTestId('live-indicator')).toHaveText('Live');

  // Asking the server for someone else's usage is refused.
  const refused = await page.request.post(`${BASE_URL}/rpc/usage_dashboard`, {
    headers: { Origin: BASE_URL },
    form: { range: '7d', user_id: '1' },
    maxRedirects: 0,
  });
  expect(refused.status()).toBe(403);
});

test('an admin creates a persona, a program uses it, and its analytics count the request', async ({ page, playwright }) => {
  const suffix = Date.now().toString(36);
  const persona = `Support ${suffix}`;
  const prompt = 'You are a patient support agent.';
  await signIn(page, OWNER.email, OWNER.password);
  await createProjectAndOpen(page, `Personas ${suffix}`);
  await addProviderKey(page, `OpenAI insight ${suffix}`, validOpenAiKey(suffix));
  const secret = await generateToken(page, `Persona bot ${suffix}`, { expiry: '1h' });

  await gotoHydrated(page, '/personas');
  await expect(heading(page, 'Personas')).toBeVisible();
  const form = page.getByRole('form', { name: 'Create a persona' });
  await form.getByLabel('Name', { exact: true }).fill(persona);
  await form.getByLabel('Description', { exact: true }).fill('Answers support questions');
  await form.getByLabel('Restricted to', { exact: true }).selectOption({ label: 'Organization-wide' });
  await form.getByLabel('System prompt', { exact: true }).fill(prompt);
  await form.getByRole('button', { name: 'Create persona', exact: true }).click();
  await expect(page.getByRole('status')).toContainText(`Persona ${persona} created`);
  const row = page.getByRole('row').filter({ hasText: persona });
  await expect(row).toContainText('Organization-wide');
  await expect(row).toContainText('active');
  await expect(row).toContainText(`${prompt.length} characters`);
  await expect(form.getByLabel('Name', { exact: true })).toHaveValue('');

  // A second persona with the same name is refused, and the form keeps what was typed.
  await form.getByLabel('Name', { exact: true }).fill(persona);
  await form.getByLabel('System prompt', { exact: true }).fill('Another prompt');
  await form.getByRole('button', { name: 'Create persona', exact: true }).click();
  await expect(form.getByRole('alert')).toContainText('already exists');
  await expect(form.getByLabel('System prompt', { exact: true })).toHaveValue('Another prompt');

  const api = await playwright.request.newContext();
  const ok = await chat(api, secret, { headers: { 'X-Keygate-Persona': persona } });
  expect(ok.status()).toBe(200);
  await api.dispose();

  await row.getByRole('link', { name: persona, exact: true }).click();
  await waitForHydration(page);
  await expect(page.getByRole('heading', { name: persona, exact: true })).toBeVisible();
  const detailPath = new URL(page.url()).pathname;
  expect(detailPath).toMatch(/^\/personas\/\d+$/);
  // The ledger is written off the request path: reload until the request shows.
  await expect(async () => {
    await gotoHydrated(page, detailPath);
    await expect(page.getByTestId('persona-requests')).toHaveText('1', { timeout: 1_000 });
  }).toPass({ timeout: 15_000 });
  await expect(page.getByTestId('persona-success-rate')).toHaveText('100.0%');
  await expect(page.getByTestId('persona-tokens')).toHaveText('18');
  await expect(page.getByTestId('persona-ratings')).toHaveText('0');
  await expect(page.getByRole('table', { name: 'Top models' })).toContainText('gpt-4o-mini');
  await expect(page.getByTestId('chart-persona-daily').locator('.chart-bar')).toHaveCount(7);
  // Today is the last of the seven days: its row counts the request.
  await expect(page.getByRole('table', { name: 'Daily usage' }).getByRole('row').last().getByRole('cell').nth(1))
    .toHaveText('1');
  await expect(page.locator('.persona-content')).toHaveText(prompt);

  // Edit, then delete it (after confirming).
  const edit = page.getByRole('form', { name: 'Edit persona' });
  await edit.getByLabel('Description', { exact: true }).fill('Answers billing questions');
  await edit.getByRole('button', { name: 'Save changes', exact: true }).click();
  await expect(page.getByRole('status')).toContainText(`Persona ${persona} saved`);
  await expect(page.locator('dl.facts')).toContainText('Answers billing questions');

  await page.getByRole('button', { name: 'Delete', exact: true }).click();
  await page.getByRole('dialog').filter({ hasText: `Delete persona ${persona}?` })
    .getByRole('button', { name: 'Delete', exact: true }).click();
  await expect(page.getByRole('status')).toContainText(`Persona ${persona} deleted`);
  await expect(page).toHaveURL(`${BASE_URL}/personas`);
  await expect(page.getByRole('row').filter({ hasText: persona })).toHaveCount(0);
});
