// Alerts: a budget rule made on the Alerts page fires once a proxied request uses more than
// its share of a token budget; the alert is listed as firing and the admin's bell shows it
// until it is marked read.
import { expect, test, type APIRequestContext, type Page } from './fixtures';
import { BASE_URL, OWNER, gotoHydrated, heading, signIn, waitForHydration } from './helpers';
import { addProviderKey, chat, createProjectAndOpen, generateToken, validOpenAiKey } from './projects-helpers';

/** Tokens the fake provider reports for every chat answer (11 in + 7 out). */
const ANSWER_TOKENS = 18;
/** One answer (18 tokens) is 60% of this budget: over the rule's 50%, and admitted. */
const BUDGET_TOKENS = 30;

/** Sets a monthly hard token budget on a Keygate key on the Limits page. */
async function setTokenBudget(page: Page, token: string, project: string, tokens: number): Promise<string> {
  await gotoHydrated(page, '/limits');
  const form = page.getByRole('region', { name: 'Set a limit', exact: true });
  await form.getByLabel('Applies to', { exact: true }).selectOption('key');
  await form.getByLabel('Target', { exact: true }).selectOption({ label: `${token} — ${project}` });
  const keyId = await form.getByLabel('Target', { exact: true }).inputValue();
  await form.getByLabel('Period', { exact: true }).selectOption('monthly');
  await form.getByLabel('Budget in tokens', { exact: true }).fill(String(tokens));
  await form.getByRole('button', { name: 'Save limit', exact: true }).click();
  await expect(page.getByRole('status').filter({ hasText: `Limit saved for ${token}` })).toBeVisible();
  return keyId;
}

test('a budget threshold rule fires, is listed as firing, and rings the bell until marked read', async ({ page, playwright }) => {
  const suffix = Date.now().toString(36);
  const project = `Alerts ${suffix}`;
  const token = `Alert bot ${suffix}`;
  const rule = `Half the budget ${suffix}`;
  await signIn(page, OWNER.email, OWNER.password);
  await createProjectAndOpen(page, project);
  await addProviderKey(page, `OpenAI alerts ${suffix}`, validOpenAiKey(suffix));
  const secret = await generateToken(page, token, { expiry: '1h' });
  const keyId = await setTokenBudget(page, token, project, BUDGET_TOKENS);

  // The rule, made in the UI, watching only this key's budget.
  await gotoHydrated(page, '/alerts');
  await expect(heading(page, 'Alerts')).toBeVisible();
  await expect(page).toHaveTitle('Alerts · Keygate');
  const form = page.getByRole('form', { name: 'Alert rule' });
  await form.getByLabel('Name', { exact: true }).fill(rule);
  await form.getByLabel('Kind', { exact: true }).selectOption('budget_threshold');
  await form.getByLabel('Percent', { exact: true }).fill('50');
  await form.getByLabel('Budget', { exact: true }).selectOption({ label: `Keygate key ${token} (monthly)` });
  await expect(form.getByLabel('In-app notification (admins)')).toBeChecked();
  await form.getByRole('button', { name: 'Add rule', exact: true }).click();
  await expect(page.getByRole('status').filter({ hasText: `Rule saved: ${rule}` })).toBeVisible();
  const ruleRow = page.getByRole('table', { name: 'Rules' }).getByRole('row').filter({ hasText: rule });
  await expect(ruleRow).toContainText('50% of Keygate key');
  await expect(ruleRow).toContainText('Enabled');

  // One answer uses 60% of the budget.
  const api = await playwright.request.newContext();
  const ok = await chat(api, secret, { maxTokens: 1 });
  expect(ok.status(), await ok.text()).toBe(200);
  await expect
    .poll(async () => {
      const res = await page.request.get(`${BASE_URL}/api/admin/limits/key/${keyId}`);
      return (await res.json()).usage?.spentTokens;
    }, { timeout: 10_000 })
    .toBe(ANSWER_TOKENS);

  await page.getByRole('button', { name: 'Evaluate now', exact: true }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Rules evaluated' })).toBeVisible();
  const eventRow = page.getByRole('table', { name: 'Recent alerts' }).getByRole('row').filter({ hasText: rule });
  await expect(eventRow).toHaveCount(1);
  await expect(eventRow).toContainText('Firing');

  // The bell: one unread notification.
  const bell = page.locator('#bell-button');
  await expect(bell).toHaveAttribute('aria-label', 'Notifications, 1 unread');
  await expect(page.getByTestId('bell-badge')).toHaveText('1');
  await expect(page.getByTestId('bell-badge')).toBeVisible();
  await bell.click();
  const panel = page.getByRole('region', { name: 'Notifications', exact: true });
  await expect(panel).toBeVisible();
  await expect(panel).toContainText(`Alert: ${rule}`);
  await panel.getByRole('button', { name: 'Mark all read', exact: true }).click();
  await expect(bell).toHaveAttribute('aria-label', 'Notifications, 0 unread');
  await expect(page.getByTestId('bell-badge')).toBeHidden();

  // Still read after a reload (the count comes from the server).
  await gotoHydrated(page, '/alerts');
  await expect(page.locator('#bell-button')).toHaveAttribute('aria-label', 'Notifications, 0 unread');
  await expect(page.getByTestId('bell-badge')).toBeHidden();
  await api.dispose();
});
