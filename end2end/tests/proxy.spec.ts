import { expect, test, type Page } from './fixtures';
import { BASE_URL, OWNER, gotoHydrated, signIn, waitForHydration } from './helpers';

/** Create a project on /projects and open its page; returns the page's path. */
async function createProjectAndOpen(page: Page, project: string): Promise<string> {
  await gotoHydrated(page, '/projects');
  await page.getByLabel('Project name', { exact: true }).fill(project);
  await page.getByRole('button', { name: 'Create project', exact: true }).click();
  await expect(page.getByRole('status')).toContainText(`Project ${project} created`);
  await page.getByRole('row').filter({ hasText: project }).getByRole('link', { name: project }).click();
  await waitForHydration(page);
  await expect(page.getByRole('heading', { name: project })).toBeVisible();
  return new URL(page.url()).pathname;
}

function keygateKeys(page: Page) {
  return page.getByRole('region', { name: 'Keygate keys', exact: true });
}

/** Fill in and submit the "Generate token" form; returns the key shown once. */
async function generateToken(page: Page, name: string, expiry: string, models = ''): Promise<string> {
  const card = keygateKeys(page);
  await card.getByLabel('Token name', { exact: true }).fill(name);
  await card.getByLabel('Expires after', { exact: true }).selectOption(expiry);
  await card.getByLabel('Allowed models', { exact: true }).fill(models);
  await card.getByRole('button', { name: 'Generate token', exact: true }).click();
  await expect(page.getByRole('status')).toContainText(`Token ${name} generated`);
  const shown = card.getByRole('textbox', { name: /New Keygate key/ });
  await expect(shown).toHaveValue(/^sk-proxy-[A-Za-z0-9]{46}$/);
  await expect(card.getByRole('button', { name: 'Copy', exact: true })).toBeVisible();
  return shown.inputValue();
}

test('an admin generates a Keygate key, calls the proxy with it, sees the usage, and revokes it', async ({ page, playwright }) => {
  const suffix = Date.now().toString(36);
  const project = `Proxy ${suffix}`;
  const providerKey = `OpenAI for proxy ${suffix}`;
  const token = `CI bot ${suffix}`;
  await signIn(page, OWNER.email, OWNER.password);
  const projectPath = await createProjectAndOpen(page, project);

  // The project's upstream credential: an OpenAI key the fake provider accepts.
  await page.getByLabel('Provider', { exact: true }).selectOption('openai');
  await page.getByLabel('Name', { exact: true }).fill(providerKey);
  await page.getByLabel('API key', { exact: true }).fill(`sk-proj-VALID-e2e-${suffix}-0000abcd`);
  await page.getByRole('button', { name: 'Add key', exact: true }).click();
  await expect(page.getByRole('status')).toContainText(`Key ${providerKey} added`);
  await expect(page.getByRole('row').filter({ hasText: providerKey })).toContainText('healthy');

  const card = keygateKeys(page);
  await expect(card.locator('#virtual-keys-total')).toHaveText('0');
  await expect(card.getByText('No Keygate keys yet.')).toBeVisible();
  await expect(page.locator('#usage-today-requests')).toHaveText('0');

  const secret = await generateToken(page, token, '30d', 'gpt-4o*');
  const row = card.getByRole('row').filter({ hasText: token });
  await expect(row).toContainText(`${secret.slice(0, 13)}…${secret.slice(-4)}`);
  await expect(row).toContainText('active');
  await expect(row).toContainText('Models: gpt-4o*');
  await expect(row.locator('td.requests-today')).toHaveText('0');
  await expect(card.locator('#virtual-keys-total')).toHaveText('1');
  await expect(card.locator('#virtual-keys-active')).toHaveText('1');
  await expect(card.locator('#virtual-keys-recent')).toHaveText('1');

  // A program (no cookies) calls the proxy with it, as an OpenAI SDK would.
  const api = await playwright.request.newContext();
  const chat = () =>
    api.post(`${BASE_URL}/v1/chat/completions`, {
      headers: { Authorization: `Bearer ${secret}` },
      data: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Say hello' }] },
    });
  const ok = await chat();
  expect(ok.status()).toBe(200);
  expect((await ok.json()).choices[0].message.content).toBe('Hello from fake');

  // The ledger is written off the request path: reload until today's request shows.
  await expect(async () => {
    await gotoHydrated(page, projectPath);
    await expect(page.locator('#usage-today-requests')).toHaveText('1', { timeout: 1_000 });
  }).toPass({ timeout: 15_000 });
  await expect(page.locator('#usage-month-requests')).toHaveText('1');
  await expect(page.locator('#usage-today-tokens')).toHaveText('11 / 7');
  const reloadedRow = keygateKeys(page).getByRole('row').filter({ hasText: token });
  await expect(reloadedRow.locator('td.requests-today')).toHaveText('1');
  await expect(reloadedRow.locator('td.requests-month')).toHaveText('1');
  await expect(reloadedRow.locator('.tokens-month')).toHaveText('18 tokens');
  // The provider key that served it counts it too.
  const keyRow = page.getByRole('row').filter({ hasText: providerKey });
  await expect(keyRow.locator('.requests-today')).toHaveText('1');
  await expect(keyRow.locator('.requests-month')).toHaveText('1');
  await expect(keyRow.locator('.key-usage')).toContainText('18 tokens');

  // Reloading never shows the key again.
  await expect(page.getByRole('textbox', { name: /New Keygate key/ })).toHaveCount(0);
  expect(await page.content()).not.toContain(secret);

  await reloadedRow.getByRole('button', { name: 'Revoke', exact: true }).click();
  await page.getByRole('dialog').filter({ hasText: `Revoke ${token}?` })
    .getByRole('button', { name: 'Revoke', exact: true }).click();
  await expect(page.getByRole('status')).toContainText(`Token ${token} revoked`);
  await expect(reloadedRow).toContainText('revoked');
  await expect(reloadedRow.getByRole('button', { name: 'Revoke', exact: true })).toHaveCount(0);
  await expect(keygateKeys(page).locator('#virtual-keys-active')).toHaveText('0');

  // The proxy refuses it within moments.
  await expect.poll(async () => (await chat()).status(), { timeout: 2_000 }).toBe(401);
  await api.dispose();
});

test('revoking all of a project\'s tokens, and no tokens for an inactive project', async ({ page }) => {
  const suffix = Date.now().toString(36);
  const project = `Revoke all ${suffix}`;
  await signIn(page, OWNER.email, OWNER.password);
  await createProjectAndOpen(page, project);
  const card = keygateKeys(page);

  await generateToken(page, `First ${suffix}`, '1h');
  await generateToken(page, `Second ${suffix}`, 'never');
  await expect(card.locator('#virtual-keys-active')).toHaveText('2');
  await expect(card.getByRole('row').filter({ hasText: `First ${suffix}` })).toContainText('active');
  await expect(card.getByRole('row').filter({ hasText: `Second ${suffix}` })).toContainText('never');

  await card.getByRole('button', { name: 'Revoke all tokens', exact: true }).click();
  await page.getByRole('dialog').filter({ hasText: 'Revoke every active Keygate key of this project?' })
    .getByRole('button', { name: 'Revoke all', exact: true }).click();
  await expect(page.getByRole('status')).toContainText('2 tokens revoked');
  await expect(card.locator('#virtual-keys-active')).toHaveText('0');
  await expect(card.locator('#virtual-keys-total')).toHaveText('2');
  await expect(card.getByRole('button', { name: 'Revoke all tokens', exact: true })).toHaveCount(0);
  await expect(card.getByRole('row').filter({ hasText: `First ${suffix}` })).toContainText('revoked');
  await expect(card.getByRole('row').filter({ hasText: `Second ${suffix}` })).toContainText('revoked');

  // Deactivating the project replaces the form with a message; the server refuses too.
  await page.getByRole('button', { name: 'Deactivate', exact: true }).click();
  await page.getByRole('dialog').filter({ hasText: `Deactivate ${project}?` })
    .getByRole('button', { name: 'Deactivate', exact: true }).click();
  await expect(card.getByText('Cannot generate tokens for inactive project')).toBeVisible();
  await expect(card.getByRole('button', { name: 'Generate token', exact: true })).toHaveCount(0);

  const projectId = Number(new URL(page.url()).pathname.split('/').pop());
  const refused = await page.request.post(`${BASE_URL}/api/admin/virtual-keys`, {
    headers: { Origin: BASE_URL },
    data: { projectId, name: `Refused ${suffix}` },
  });
  expect(refused.status()).toBe(422);
  expect(await refused.text()).toContain('Cannot generate tokens for inactive project');
});

test('an admin routes a model name to a provider and picks the balancing strategy', async ({ page, playwright }) => {
  const suffix = Date.now().toString(36);
  const project = `Routing ${suffix}`;
  await signIn(page, OWNER.email, OWNER.password);
  const projectPath = await createProjectAndOpen(page, project);
  await page.getByLabel('Provider', { exact: true }).selectOption('openai');
  await page.getByLabel('Name', { exact: true }).fill(`OpenAI ${suffix}`);
  await page.getByLabel('API key', { exact: true }).fill(`sk-proj-VALID-e2e-${suffix}-0000abcd`);
  await page.getByRole('button', { name: 'Add key', exact: true }).click();
  await expect(page.getByRole('status')).toContainText(`Key OpenAI ${suffix} added`);
  const secret = await generateToken(page, `Router ${suffix}`, '1h');

  const api = await playwright.request.newContext();
  const chat = (model: string) =>
    api.post(`${BASE_URL}/v1/chat/completions`, {
      headers: { Authorization: `Bearer ${secret}` },
      data: { model, messages: [{ role: 'user', content: 'Say hello' }] },
    });
  // No default route serves a team alias.
  expect((await chat('team-default')).status()).toBe(404);

  const routing = page.getByRole('region', { name: 'Routing', exact: true });
  await expect(routing.getByText('No routes: the defaults apply.')).toBeVisible();
  await routing.getByLabel('Model pattern', { exact: true }).fill('team-*');
  await routing.getByLabel('Route to provider', { exact: true }).selectOption('openai');
  await routing.getByLabel('Send as model', { exact: true }).fill('gpt-4o-mini');
  await routing.getByRole('button', { name: 'Add route', exact: true }).click();
  await expect(page.getByRole('status')).toContainText('Route team-* added');
  const row = routing.getByRole('row').filter({ hasText: 'team-*' });
  await expect(row).toContainText('OpenAI');
  await expect(row).toContainText('gpt-4o-mini');
  await expect.poll(async () => (await chat('team-default')).status(), { timeout: 2_000 }).toBe(200);

  // A bad pattern is refused at its field.
  await routing.getByLabel('Model pattern', { exact: true }).fill('bad pattern with spaces');
  await routing.getByRole('button', { name: 'Add route', exact: true }).click();
  await expect(routing.locator('#field-pattern-error')).toBeVisible();

  await routing.getByLabel(/Balance requests/).selectOption('weighted');
  await routing.getByRole('button', { name: 'Save strategy', exact: true }).click();
  await expect(page.getByRole('status')).toContainText('Balancing: Weighted round-robin');
  await gotoHydrated(page, projectPath);
  await expect(routing.getByLabel(/Balance requests/)).toHaveValue('weighted');

  await routing.getByRole('button', { name: 'Delete route team-*', exact: true }).click();
  await expect(page.getByRole('status')).toContainText('Route deleted');
  await expect(routing.getByText('No routes: the defaults apply.')).toBeVisible();
  await expect.poll(async () => (await chat('team-default')).status(), { timeout: 2_000 }).toBe(404);
  await api.dispose();
});
