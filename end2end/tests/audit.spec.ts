import { expect, test } from './fixtures';
import { BASE_URL, OWNER, gotoHydrated, heading, signIn, signOut, submitSignIn, waitForHydration } from './helpers';

test('actions in the UI show up in the audit log, filtered, exported and verified', async ({ page }) => {
  const suffix = Date.now().toString(36);
  const project = `Audited ${suffix}`;

  // A failed sign-in, then a real one, then an action in the UI.
  await submitSignIn(page, OWNER.email, 'not the password at all');
  await expect(page.getByRole('alert')).toBeVisible();
  await signIn(page, OWNER.email, OWNER.password);
  await gotoHydrated(page, '/projects');
  await page.getByLabel('Project name', { exact: true }).fill(project);
  await page.getByLabel('Description', { exact: true }).fill('Audit trail test');
  await page.getByRole('button', { name: 'Create project', exact: true }).click();
  await expect(page.getByRole('status')).toContainText(`Project ${project} created`);

  await gotoHydrated(page, '/audit');
  await expect(heading(page, 'Audit')).toBeVisible();
  const rows = page.locator('table.audit-table tbody tr[data-entry-id]');
  const created = rows.filter({ hasText: project });
  await expect(created).toHaveCount(1);
  await expect(created).toContainText('project.create');
  await expect(created).toContainText(OWNER.email);
  await expect(created).toContainText('success');
  await expect(created).toContainText('127.0.0.1');
  const failed = rows.filter({ hasText: 'auth.sign_in' }).filter({ hasText: 'failure' });
  await expect(failed.first()).toContainText(OWNER.email);

  // Filter by action: only project creations remain.
  await page.getByLabel('Action', { exact: true }).fill('project.create');
  await page.getByRole('button', { name: 'Apply filters', exact: true }).click();
  await expect(rows.filter({ hasText: 'auth.sign_in' })).toHaveCount(0);
  await expect(rows.filter({ hasText: project })).toHaveCount(1);
  const texts = await rows.locator('td:nth-child(3)').allTextContents();
  expect(texts.every((t) => t === 'project.create'), texts.join(',')).toBe(true);
  await expect(page.getByRole('link', { name: 'Export CSV' })).toHaveAttribute(
    'href',
    '/api/admin/audit/export.csv?action=project.create',
  );
  const csv = await page.request.get(`${BASE_URL}/api/admin/audit/export.csv?action=project.create`);
  expect(csv.status()).toBe(200);
  expect(await csv.text()).toContain(project);

  // The chain verifies, and again on request.
  const badge = page.getByTestId('chain-status');
  await expect(badge).toHaveText(/^Chain verified: \d+ entries$/);
  await page.getByRole('button', { name: 'Re-verify', exact: true }).click();
  await expect(badge).toHaveText(/^Chain verified: \d+ entries$/);

  // Retention.
  await page.getByLabel('Keep entries for (days)').fill('400');
  await page.getByRole('button', { name: 'Save retention', exact: true }).click();
  await expect(page.getByRole('status').filter({ hasText: 'kept for 400 days' })).toBeVisible();
  await page.getByLabel('Keep entries for (days)').fill('0');
  await page.getByRole('button', { name: 'Save retention', exact: true }).click();
  await expect(page.getByText('Retention must be between 1 and 3650 days.')).toBeVisible();
});

test('"Load more" pages through older entries', async ({ page }) => {
  await signIn(page, OWNER.email, OWNER.password);
  // Each export is recorded: more than one page of them.
  for (let i = 0; i < 55; i++) {
    const res = await page.request.get(`${BASE_URL}/api/admin/audit/export.csv?action=none`);
    expect(res.status()).toBe(200);
  }
  await gotoHydrated(page, '/audit');
  await page.getByLabel('Action', { exact: true }).fill('audit.export');
  await page.getByRole('button', { name: 'Apply filters', exact: true }).click();
  const rows = page.locator('table.audit-table tbody tr[data-entry-id]');
  await expect(rows).toHaveCount(50);
  await page.getByRole('button', { name: 'Load more', exact: true }).click();
  await expect.poll(() => rows.count()).toBeGreaterThanOrEqual(55);
  const ids = (await rows.evaluateAll((trs) => trs.map((tr) => Number(tr.getAttribute('data-entry-id')))));
  expect([...ids].sort((a, b) => b - a)).toEqual(ids);
  expect(new Set(ids).size).toBe(ids.length);
});

test('a member is refused the audit page, and the refusal is audited', async ({ page }) => {
  const email = `auditee-${Date.now()}@acme.test`;
  const password = 'member test password 1';
  await signIn(page, OWNER.email, OWNER.password);
  const created = await page.request.post(`${BASE_URL}/rpc/users_create`, {
    headers: { Origin: BASE_URL },
    form: { display_name: 'Audie', email, role: 'member', password },
  });
  expect(created.status(), await created.text()).toBe(200);
  await signOut(page);

  await signIn(page, email, password);
  await gotoHydrated(page, '/audit');
  await expect(heading(page, 'Not allowed')).toBeVisible();
  const api = await page.request.get(`${BASE_URL}/api/admin/audit`);
  expect(api.status()).toBe(403);
  await signOut(page);

  await signIn(page, OWNER.email, OWNER.password);
  await gotoHydrated(page, '/audit');
  await page.getByLabel('Actor', { exact: true }).fill(email);
  await page.getByLabel('Outcome', { exact: true }).selectOption('denied');
  await page.getByRole('button', { name: 'Apply filters', exact: true }).click();
  await waitForHydration(page);
  const rows = page.locator('table.audit-table tbody tr[data-entry-id]');
  await expect(rows.filter({ hasText: 'access.denied' })).toHaveCount(2);
});
