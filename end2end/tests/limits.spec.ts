// Budgets and rate limits: set on the Limits page, enforced by the proxy, and shown back on
// the page (usage bar, "Exhausted"); edited and removed from the table.
import { expect, test, type APIRequestContext, type Page } from './fixtures';
import { BASE_URL, OWNER, gotoHydrated, heading, signIn, waitForHydration } from './helpers';
import { addProviderKey, chat, createProjectAndOpen, generateToken, validOpenAiKey } from './projects-helpers';

/** Tokens the fake provider reports for every chat answer (11 in + 7 out), whatever the
 * request's max_tokens says. */
const ANSWER_TOKENS = 18;
/** What the test's requests ask for at most. Admission reserves the prompt (about 9 tokens
 * for one short user message) plus this, so each request is admitted with ~10 tokens of room
 * and then settles at 18: the budget is spent to the end, not just too small for the next. */
const MAX_TOKENS = 1;
/** Admits exactly three requests: 0+10, 18+10 and 36+10 fit in 50 (for any prompt estimate
 * up to 13 tokens); after them 54 tokens are spent, more than the budget. */
const BUDGET_TOKENS = 50;
const ADMITTED = 3;

function setLimitForm(page: Page) {
  return page.getByRole('region', { name: 'Set a limit', exact: true });
}

function limitRow(page: Page, target: string) {
  return page.getByRole('table', { name: 'Limits', exact: true }).getByRole('row').filter({ hasText: target });
}

/** Opens /limits and picks a Keygate key in the form; returns the key's id. */
async function chooseKey(page: Page, token: string, project: string): Promise<string> {
  await gotoHydrated(page, '/limits');
  await expect(heading(page, 'Limits')).toBeVisible();
  await expect(page).toHaveTitle('Limits · Keygate');
  const form = setLimitForm(page);
  await form.getByLabel('Applies to', { exact: true }).selectOption('key');
  await form.getByLabel('Target', { exact: true }).selectOption({ label: `${token} — ${project}` });
  return form.getByLabel('Target', { exact: true }).inputValue();
}

/** The limit as the REST API reports it (with the browser's session). */
async function limitUsage(page: Page, keyId: string) {
  const res = await page.request.get(`${BASE_URL}/api/admin/limits/key/${keyId}`);
  expect(res.status(), await res.text()).toBe(200);
  return (await res.json()).usage as { spentTokens: number; reservedTokens: number; exhausted: boolean };
}

test('a hard token budget admits exactly what fits, then the proxy refuses and the page shows it exhausted', async ({ page, playwright }) => {
  const suffix = Date.now().toString(36);
  const project = `Budget ${suffix}`;
  const token = `Budget bot ${suffix}`;
  await signIn(page, OWNER.email, OWNER.password);
  await createProjectAndOpen(page, project);
  await addProviderKey(page, `OpenAI budget ${suffix}`, validOpenAiKey(suffix));
  const secret = await generateToken(page, token, { expiry: '1h' });

  const keyId = await chooseKey(page, token, project);
  const form = setLimitForm(page);
  await form.getByLabel('Period', { exact: true }).selectOption('monthly');
  await form.getByLabel('Enforcement', { exact: true }).selectOption('hard');
  await form.getByLabel('Budget in tokens', { exact: true }).fill(String(BUDGET_TOKENS));

  // Errors are checked on the server and shown at their field; what was typed stays.
  await form.getByLabel('Budget in dollars', { exact: true }).fill('12.5.0');
  await form.getByRole('button', { name: 'Save limit', exact: true }).click();
  await expect(form.locator('#field-limit_usd-error')).toHaveText('Enter an amount in dollars, like 12.50.');
  await expect(form.getByLabel('Budget in dollars', { exact: true })).toHaveAttribute('aria-invalid', 'true');
  await expect(form.getByLabel('Budget in tokens', { exact: true })).toHaveValue(String(BUDGET_TOKENS));
  await form.getByLabel('Budget in dollars', { exact: true }).fill('');
  await form.getByRole('button', { name: 'Save limit', exact: true }).click();
  await expect(page.getByRole('status').filter({ hasText: `Limit saved for ${token}` })).toBeVisible();
  await expect(form.locator('#field-limit_usd-error')).toHaveCount(0);
  await expect(form.getByLabel('Budget in tokens', { exact: true })).toHaveValue('');

  const row = limitRow(page, token);
  await expect(row).toHaveCount(1);
  await expect(row).toContainText('Keygate key');
  await expect(row).toContainText('Monthly');
  await expect(row).toContainText(/Resets \d{4}-\d{2}-01 00:00 UTC/);
  await expect(row).toContainText('Hard');
  await expect(row).toContainText(`0 tokens of ${BUDGET_TOKENS} tokens`);
  await expect(row.getByRole('progressbar', { name: 'Tokens used' })).toHaveAttribute('aria-valuenow', '0');
  await expect(row.getByText('Exhausted', { exact: true })).toHaveCount(0);

  const api = await playwright.request.newContext();
  for (let i = 1; i <= ADMITTED; i++) {
    const ok = await chat(api, secret, { maxTokens: MAX_TOKENS });
    expect(ok.status(), `request ${i}: ${await ok.text()}`).toBe(200);
    // The ledger settles each request off the request path: wait for it, so the next
    // request is admitted against what was really spent.
    await expect
      .poll(async () => limitUsage(page, keyId), { timeout: 10_000 })
      .toMatchObject({ spentTokens: i * ANSWER_TOKENS, reservedTokens: 0 });
  }
  const refused = await chat(api, secret, { maxTokens: MAX_TOKENS });
  expect(refused.status()).toBe(429);
  const body = await refused.json();
  expect(body.error.code).toBe('budget_exceeded');
  expect(body.error.message).toContain('Budget exhausted');
  expect((await limitUsage(page, keyId)).exhausted).toBe(true);

  const spent = ADMITTED * ANSWER_TOKENS;
  await gotoHydrated(page, '/limits');
  await expect(row.getByText('Exhausted', { exact: true })).toBeVisible();
  await expect(row).toContainText(`${spent} tokens of ${BUDGET_TOKENS} tokens`);
  await expect(row).toContainText(`${((spent / BUDGET_TOKENS) * 100).toFixed(1)}%`);
  await expect(row.getByRole('progressbar', { name: 'Tokens used' })).toHaveAttribute('aria-valuenow', '100');

  // Edit fills the form; raising the budget keeps what was spent and admits requests again.
  await row.getByRole('button', { name: `Edit limit of ${token}`, exact: true }).click();
  await expect(form.getByText(`Editing the limit of Keygate key ${token}`)).toBeVisible();
  await expect(form.getByLabel('Applies to', { exact: true })).toHaveValue('key');
  await expect(form.getByLabel('Target', { exact: true })).toHaveValue(keyId);
  await expect(form.getByLabel('Period', { exact: true })).toHaveValue('monthly');
  await expect(form.getByLabel('Budget in tokens', { exact: true })).toHaveValue(String(BUDGET_TOKENS));
  await form.getByLabel('Budget in tokens', { exact: true }).fill('1000');
  await form.getByRole('button', { name: 'Save limit', exact: true }).click();
  await expect(page.getByRole('status').filter({ hasText: `Limit saved for ${token}` }).last()).toBeVisible();
  await expect(row).toContainText(`${spent} tokens of 1,000 tokens`);
  await expect(row.getByText('Exhausted', { exact: true })).toHaveCount(0);
  expect((await chat(api, secret, { maxTokens: MAX_TOKENS })).status()).toBe(200);
  await api.dispose();
});

test('a rate limit of one request a minute: headers on the first answer, 429 with Retry-After on the second, gone once removed', async ({ page, playwright }) => {
  const suffix = Date.now().toString(36);
  const project = `Rate ${suffix}`;
  const token = `Rate bot ${suffix}`;
  const providerKey = `OpenAI rate ${suffix}`;
  await signIn(page, OWNER.email, OWNER.password);
  await createProjectAndOpen(page, project);
  await addProviderKey(page, providerKey, validOpenAiKey(suffix));
  const secret = await generateToken(page, token, { expiry: '1h' });

  // Provider keys take budgets only: the server says so at the field.
  await gotoHydrated(page, '/limits');
  const form = setLimitForm(page);
  await form.getByLabel('Applies to', { exact: true }).selectOption('provider_key');
  await form.getByLabel('Target', { exact: true }).selectOption({ label: `${providerKey} (OpenAI)` });
  await form.getByLabel('Requests per minute', { exact: true }).fill('1');
  await form.getByRole('button', { name: 'Save limit', exact: true }).click();
  await expect(form.locator('#field-rpm-error')).toContainText('a provider key takes a budget');

  await chooseKey(page, token, project);
  await form.getByLabel('Requests per minute', { exact: true }).fill('1');
  await form.getByRole('button', { name: 'Save limit', exact: true }).click();
  await expect(page.getByRole('status').filter({ hasText: `Limit saved for ${token}` })).toBeVisible();
  const row = limitRow(page, token);
  await expect(row).toContainText('1 req/min');
  await expect(row).toContainText('No budget');

  const api = await playwright.request.newContext();
  const first = await chat(api, secret, { maxTokens: MAX_TOKENS });
  expect(first.status(), await first.text()).toBe(200);
  const headers = first.headers();
  expect(headers['x-ratelimit-limit-requests']).toBe('1');
  expect(headers['x-ratelimit-remaining-requests']).toBe('0');
  expect(headers['x-ratelimit-reset-requests']).toBeTruthy();

  const second = await chat(api, secret, { maxTokens: MAX_TOKENS });
  expect(second.status()).toBe(429);
  expect(Number(second.headers()['retry-after'])).toBeGreaterThan(0);
  expect((await second.json()).error.code).toBe('requests_rate_limit_exceeded');

  await row.getByRole('button', { name: 'Remove', exact: true }).click();
  await page.getByRole('dialog').filter({ hasText: `Remove the limits of Keygate key ${token}?` })
    .getByRole('button', { name: 'Remove', exact: true }).click();
  await expect(page.getByRole('status').filter({ hasText: `Limit removed for ${token}` })).toBeVisible();
  await expect(row).toHaveCount(0);
  await expect.poll(async () => (await chat(api, secret, { maxTokens: MAX_TOKENS })).status(), { timeout: 5_000 }).toBe(200);
  await api.dispose();
});
