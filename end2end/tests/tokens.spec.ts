import { expect, test } from './fixtures';
import { BASE_URL, OWNER, gotoHydrated, heading, signIn } from './helpers';

test('an admin creates an API token in Settings, sees it once, uses it, and revokes it', async ({ page, playwright }) => {
  const name = `deploy bot ${Date.now().toString(36)}`;
  await signIn(page, OWNER.email, OWNER.password);
  await gotoHydrated(page, '/settings');
  await expect(heading(page, 'Settings')).toBeVisible();
  await page.getByLabel('Token name', { exact: true }).fill(name);
  await page.getByLabel('Kind', { exact: true }).selectOption('admin');
  await page.getByRole('button', { name: 'Create token', exact: true }).click();
  const shown = page.getByRole('textbox', { name: /New token/ });
  await expect(shown).toHaveValue(/^kg_admin_[A-Za-z0-9]{40}$/);
  const secret = await shown.inputValue();
  const row = page.getByRole('row').filter({ hasText: name });
  await expect(row).toContainText(`kg_admin_…${secret.slice(-4)}`);
  await expect(row).toContainText('active');

  // A program (no cookies) uses it as a bearer token.
  const api = await playwright.request.newContext();
  const ok = await api.get(`${BASE_URL}/api/admin/projects`, { headers: { Authorization: `Bearer ${secret}` } });
  expect(ok.status()).toBe(200);

  // Reloading the page never shows the token again.
  await gotoHydrated(page, '/settings');
  expect(await page.content()).not.toContain(secret);

  await page.getByRole('row').filter({ hasText: name }).getByRole('button', { name: 'Revoke', exact: true }).click();
  await page.getByRole('dialog').filter({ hasText: `Revoke ${name}?` })
    .getByRole('button', { name: 'Revoke', exact: true }).click();
  await expect(page.getByRole('row').filter({ hasText: name })).toContainText('revoked');
  const refused = await api.get(`${BASE_URL}/api/admin/projects`, { headers: { Authorization: `Bearer ${secret}` } });
  expect(refused.status()).toBe(401);
  await api.dispose();
});
