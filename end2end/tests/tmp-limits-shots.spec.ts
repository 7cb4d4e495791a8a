import { expect, test } from './fixtures';
import { BASE_URL, OWNER, gotoHydrated, signIn, waitForHydration } from './helpers';

test('shots', async ({ page, playwright }) => {
  const suffix = Date.now().toString(36);
  const project = `Shots ${suffix}`;
  await signIn(page, OWNER.email, OWNER.password);
  await gotoHydrated(page, '/projects');
  await page.getByLabel('Project name', { exact: true }).fill(project);
  await page.getByRole('button', { name: 'Create project', exact: true }).click();
  await page.getByRole('row').filter({ hasText: project }).getByRole('link', { name: project }).click();
  await waitForHydration(page);
  await page.getByLabel('Provider', { exact: true }).selectOption('openai');
  await page.getByLabel('Name', { exact: true }).fill(`OpenAI ${suffix}`);
  await page.getByLabel('API key', { exact: true }).fill(`sk-proj-VALID-e2e-${suffix}-0000abcd`);
  await page.getByRole('button', { name: 'Add key', exact: true }).click();
  await expect(page.getByRole('status')).toContainText('added');
  const card = page.getByRole('region', { name: 'Keygate keys', exact: true });
  await card.getByLabel('Token name', { exact: true }).fill(`Bot ${suffix}`);
  await card.getByRole('button', { name: 'Generate token', exact: true }).click();
  const secret = await card.getByRole('textbox', { name: /New Keygate key/ }).inputValue();
  const projectId = Number(new URL(page.url()).pathname.split('/').pop());
  const put = (path: string, data: unknown) => page.request.put(`${BASE_URL}${path}`, { headers: { Origin: BASE_URL }, data });
  await gotoHydrated(page, '/limits');
  const keyId = await page.locator('#field-target_id option').nth(1).getAttribute('value');
  expect((await put(`/api/admin/limits/key/${keyId}`, { limitTokens: 100, limitUsd: 0.5, rpm: 60, tpm: 20000 })).status()).toBe(200);
  expect((await put(`/api/admin/limits/project/${projectId}`, { period: 'daily', limitTokens: 40, enforcement: 'soft' })).status()).toBe(200);
  const api = await playwright.request.newContext();
  for (let i = 0; i < 3; i++) {
    await api.post(`${BASE_URL}/v1/chat/completions`, { headers: { Authorization: `Bearer ${secret}` }, data: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], max_tokens: 1 } });
    await page.waitForTimeout(300);
  }
  await gotoHydrated(page, '/limits');
  await page.screenshot({ path: '/tmp/limits-light.png', fullPage: true });
  await page.getByRole('button', { name: /Edit limit of Bot/ }).click();
  await page.getByLabel('Budget in dollars').fill('abc');
  await page.getByRole('button', { name: 'Save limit' }).click();
  await expect(page.locator('#field-limit_usd-error')).toBeVisible();
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.screenshot({ path: '/tmp/limits-dark.png', fullPage: true });
  await page.setViewportSize({ width: 360, height: 740 });
  await page.emulateMedia({ colorScheme: 'light' });
  await page.screenshot({ path: '/tmp/limits-narrow.png', fullPage: true });
});
