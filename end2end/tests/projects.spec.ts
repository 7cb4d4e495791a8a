import { expect, test } from './fixtures';
import { BASE_URL, OWNER, gotoHydrated, heading, signIn, waitForHydration } from './helpers';

test('an admin creates, filters and deactivates projects; deleting one is refused', async ({ page }) => {
  const suffix = Date.now().toString(36);
  const names = [`Search ${suffix}`, `Support ${suffix}`];
  await signIn(page, OWNER.email, OWNER.password);
  await gotoHydrated(page, '/projects');
  await expect(heading(page, 'Projects')).toBeVisible();

  for (const name of names) {
    await page.getByLabel('Project name', { exact: true }).fill(name);
    await page.getByLabel('Description', { exact: true }).fill(`About ${name}`);
    await page.getByRole('button', { name: 'Create project', exact: true }).click();
    await expect(page.getByRole('status')).toContainText(`Project ${name} created`);
    await expect(page.getByRole('row').filter({ hasText: name })).toHaveCount(1);
  }

  // A duplicate name is refused with a message in the form.
  await page.getByLabel('Project name', { exact: true }).fill(names[0]);
  await page.getByRole('button', { name: 'Create project', exact: true }).click();
  await expect(page.getByRole('alert')).toHaveText('A project with this name already exists.');

  await page.getByLabel('Filter by name').fill(`support ${suffix}`);
  await expect(page.getByRole('row').filter({ hasText: names[1] })).toHaveCount(1);
  await expect(page.getByRole('row').filter({ hasText: names[0] })).toHaveCount(0);
  await expect(page.getByText('1 projects, 1 active')).toBeVisible();

  const row = page.getByRole('row').filter({ hasText: names[1] });
  await row.getByRole('button', { name: 'Deactivate', exact: true }).click();
  await page.getByRole('dialog').filter({ hasText: `Deactivate ${names[1]}?` })
    .getByRole('button', { name: 'Deactivate', exact: true }).click();
  await expect(row).toContainText('inactive');
  await page.getByLabel('Status').selectOption('active');
  await expect(page.getByText('No projects')).toBeVisible();
  await page.getByLabel('Status').selectOption('inactive');
  await expect(page.getByRole('row').filter({ hasText: names[1] })).toHaveCount(1);

  // There is no delete in the UI, and the API refuses it.
  await expect(page.getByRole('button', { name: /delete/i })).toHaveCount(0);
  const list = await page.request.get(`${BASE_URL}/api/admin/projects?name=${encodeURIComponent(names[1])}`);
  const id = (await list.json()).projects[0].id;
  const del = await page.request.delete(`${BASE_URL}/api/admin/projects/${id}`, { headers: { Origin: BASE_URL } });
  expect(del.status()).toBe(405);
  const still = await page.request.get(`${BASE_URL}/api/admin/projects/${id}`);
  expect(still.status()).toBe(200);
});

test('a project page shows its information and keys, and adds keys to it', async ({ page }) => {
  const suffix = Date.now().toString(36);
  const project = `Detail ${suffix}`;
  await signIn(page, OWNER.email, OWNER.password);
  await gotoHydrated(page, '/projects');
  await page.getByLabel('Project name', { exact: true }).fill(project);
  await page.getByLabel('Description', { exact: true }).fill('Seed 001 detail page');
  await page.getByRole('button', { name: 'Create project', exact: true }).click();
  await expect(page.getByRole('status')).toContainText(`Project ${project} created`);
  const row = page.getByRole('row').filter({ hasText: project });
  await expect(row).toContainText('0 (0 active)');
  await row.getByRole('link', { name: project }).click();
  await waitForHydration(page);
  await expect(page.getByRole('heading', { name: project })).toBeVisible();
  await expect(page.getByText('Seed 001 detail page')).toBeVisible();

  await page.getByLabel('Provider', { exact: true }).selectOption('groq');
  await page.getByLabel('Name', { exact: true }).fill(`Groq for ${suffix}`);
  await page.getByLabel('API key', { exact: true }).fill('gsk_detailpagekey0000abcd');
  await page.getByRole('button', { name: 'Add key', exact: true }).click();
  await expect(page.getByRole('status')).toContainText(`Key Groq for ${suffix} added`);
  await expect(page.getByRole('row').filter({ hasText: `Groq for ${suffix}` })).toContainText('gsk_…abcd');
  await expect(page.getByText('1 (1 active)')).toBeVisible();
});
