// IP allowlists: a Keygate key limited to other networks is refused by the proxy until the
// admin adds this machine's address on the project page; the admin console's allowlist on
// Settings refuses a list that would lock the admin out and shows the admin's address.
import { expect, test } from './fixtures';
import { OWNER, gotoHydrated, heading, signIn } from './helpers';
import {
  addProviderKey,
  chat,
  createProjectAndOpen,
  generateToken,
  keygateKeys,
  validOpenAiKey,
} from './projects-helpers';

test('a key limited to other networks is refused until this address is allowed', async ({ page, playwright }) => {
  const suffix = Date.now().toString(36);
  const project = `Network ${suffix}`;
  const token = `Office bot ${suffix}`;
  await signIn(page, OWNER.email, OWNER.password);
  await createProjectAndOpen(page, project);
  await addProviderKey(page, `OpenAI network ${suffix}`, validOpenAiKey(suffix));

  // A typo is named at the field; the form keeps what was typed.
  const card = keygateKeys(page);
  await card.getByLabel('Token name', { exact: true }).fill(token);
  await card.getByLabel('Allowed IPs', { exact: true }).fill('10.0.0.0/33');
  await card.getByRole('button', { name: 'Generate token', exact: true }).click();
  await expect(card.locator('#field-allowed_ips-error')).toContainText('10.0.0.0/33');
  const secret = await generateToken(page, token, { allowedIps: '10.0.0.0/8, 192.0.2.7' });

  const row = card.getByRole('row').filter({ hasText: token });
  await expect(row).toContainText('Only from: 10.0.0.0/8, 192.0.2.7/32');

  const api = await playwright.request.newContext();
  const refused = await chat(api, secret, { maxTokens: 1 });
  expect(refused.status()).toBe(403);
  const body = await refused.json();
  expect(body.error.code).toBe('ip_not_allowed');
  expect(body.error.message).toContain('127.0.0.1');

  await row.getByRole('button', { name: 'IP allowlist', exact: true }).click();
  const ips = page.getByLabel(/^Allowed IPs \(one per line/);
  await expect(ips).toHaveValue('10.0.0.0/8\n192.0.2.7/32');
  await ips.fill('10.0.0.0/8\n127.0.0.1');
  await page.getByRole('button', { name: 'Save IP allowlist', exact: true }).click();
  await expect(page.getByRole('status').filter({ hasText: `IP allowlist of ${token} saved` })).toBeVisible();
  await expect(row).toContainText('Only from: 10.0.0.0/8, 127.0.0.1/32');
  const allowed = await chat(api, secret, { maxTokens: 1 });
  expect(allowed.status(), await allowed.text()).toBe(200);

  // The refusal is in the audit log.
  await gotoHydrated(page, '/audit');
  const rows = page.locator('table.audit-table tbody tr[data-entry-id]');
  await expect(rows.filter({ hasText: 'access.denied' }).filter({ hasText: /key:\d+/ }).first()).toBeVisible();
  await api.dispose();
});

test('the admin console allowlist refuses a lock-out and shows the admin their address', async ({ page }) => {
  await signIn(page, OWNER.email, OWNER.password);
  await gotoHydrated(page, '/settings');
  await expect(heading(page, 'Settings')).toBeVisible();
  const card = page.getByRole('region', { name: 'Admin console IP allowlist', exact: true });
  await expect(card.locator('#your-ip')).toContainText('127.0.0.1');
  const field = card.getByLabel('Allowed addresses (one per line)', { exact: true });

  await field.fill('10.0.0.0/8');
  await card.getByRole('button', { name: 'Save allowlist', exact: true }).click();
  await expect(card.locator('#field-allowed_ips-error')).toContainText('would lock you out');

  await field.fill('127.0.0.0/8\n10.0.0.0/8');
  await card.getByRole('button', { name: 'Save allowlist', exact: true }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Admin console limited to 2 network(s)' })).toBeVisible();
  await gotoHydrated(page, '/settings');
  await expect(card.getByLabel('Allowed addresses (one per line)', { exact: true })).toHaveValue('127.0.0.0/8\n10.0.0.0/8');

  // Open it again for the other specs.
  await card.getByLabel('Allowed addresses (one per line)', { exact: true }).fill('');
  await card.getByRole('button', { name: 'Save allowlist', exact: true }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Admin console open to every address' })).toBeVisible();
});
