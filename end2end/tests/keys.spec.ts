import { expect, test } from './fixtures';
import { BASE_URL, OWNER, createUser, gotoHydrated, heading, signIn, signOut, uniqueEmail } from './helpers';

const PROJECT_SECRET = 'sk-proj-VALIDe2eprojectkey0000abcd';
const PERSONAL_SECRET = 'sk-ant-api03-VALIDe2epersonal-wxyz';

test('an admin adds a project key, sees it masked, edits it with the secret blank, tests and deactivates it', async ({ page }) => {
  const suffix = Date.now().toString(36);
  const project = `Keys ${suffix}`;
  const keyName = `Prod OpenAI ${suffix}`;
  await signIn(page, OWNER.email, OWNER.password);
  await gotoHydrated(page, '/projects');
  await page.getByLabel('Project name', { exact: true }).fill(project);
  await page.getByRole('button', { name: 'Create project', exact: true }).click();
  await expect(page.getByRole('status')).toContainText(`Project ${project} created`);

  await gotoHydrated(page, '/org-keys');
  await expect(heading(page, 'Organization keys')).toBeVisible();
  await page.getByLabel('Project', { exact: true }).selectOption({ label: project });
  await page.getByLabel('Provider', { exact: true }).selectOption('openai');
  await page.getByLabel('Name', { exact: true }).fill(keyName);
  // Validation as you type, before anything is sent.
  const secret = page.getByLabel('API key', { exact: true });
  await expect(secret).toHaveAttribute('type', 'password');
  await secret.fill('pk-not-a-key');
  await expect(page.getByText('Invalid API key format')).toBeVisible();
  await secret.fill(PROJECT_SECRET);
  await expect(page.getByText('Invalid API key format')).toHaveCount(0);
  await page.getByRole('button', { name: 'Add key', exact: true }).click();
  await expect(page.getByRole('status')).toContainText(`Key ${keyName} added`);

  const row = page.getByRole('row').filter({ hasText: keyName });
  await expect(row).toContainText('sk-proj-…abcd');
  await expect(row).toContainText(project);
  await expect(row).toContainText('Never tested');
  // The full secret is nowhere on the page, not even in the (reset) form.
  expect(await page.content()).not.toContain(PROJECT_SECRET);
  await expect(secret).toHaveValue('');

  // Edit with the secret left blank: the stored one is kept and still verifies.
  await row.getByRole('button', { name: 'Edit', exact: true }).click();
  const newSecret = page.getByLabel('New secret', { exact: true });
  await expect(newSecret).toHaveValue('');
  await page.getByLabel('Key description', { exact: true }).fill('Edited in the browser');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(page.getByRole('status')).toContainText(`Key ${keyName} saved`);
  await expect(row).toContainText('Edited in the browser');
  await expect(row).toContainText('sk-proj-…abcd');
  await row.getByRole('button', { name: 'Test', exact: true }).click();
  await expect(row).toContainText('Verified');
  await expect(page.getByRole('status')).toContainText('OpenAI accepted the key.');

  await row.getByRole('button', { name: 'Deactivate', exact: true }).click();
  await page.getByRole('dialog').filter({ hasText: `Deactivate ${keyName}?` })
    .getByRole('button', { name: 'Deactivate', exact: true }).click();
  await expect(row).toContainText('inactive');
  await page.getByLabel('Status filter').selectOption('active');
  await expect(page.getByRole('row').filter({ hasText: keyName })).toHaveCount(0);
  // Admins can never reveal a project key: there is no button for it.
  await page.getByLabel('Status filter').selectOption('all');
  await expect(row.getByRole('button', { name: 'Reveal' })).toHaveCount(0);
});

test('a member adds a personal key and reveals it with their password; an admin cannot', async ({ page }) => {
  const member = { name: 'Kim Keys', email: uniqueEmail('kim'), role: 'member' as const, password: 'kim keeps keys safe 42' };
  const keyName = `My Claude ${Date.now().toString(36)}`;
  await signIn(page, OWNER.email, OWNER.password);
  await createUser(page, member);
  await signOut(page);

  await signIn(page, member.email, member.password);
  await gotoHydrated(page, '/keys');
  await expect(heading(page, 'My keys')).toBeVisible();
  await page.getByLabel('Provider', { exact: true }).selectOption('anthropic');
  await page.getByLabel('Name', { exact: true }).fill(keyName);
  await page.getByLabel('API key', { exact: true }).fill(PERSONAL_SECRET);
  await page.getByRole('button', { name: 'Add key', exact: true }).click();
  await expect(page.getByRole('status')).toContainText(`Key ${keyName} added`);
  const row = page.getByRole('row').filter({ hasText: keyName });
  await expect(row).toContainText('sk-ant-…wxyz');
  await expect(row).toContainText('personal');
  expect(await page.content()).not.toContain(PERSONAL_SECRET);
  // The operator's environment fallback is listed, masked.
  const fromEnv = page.getByRole('listitem').filter({ hasText: 'Groq' });
  await expect(fromEnv).toContainText('gsk_…wxyz');
  await expect(fromEnv).toContainText('from environment');
  expect(await page.content()).not.toContain('gsk_e2efallbackkey0000wxyz');

  await row.getByRole('button', { name: 'Reveal', exact: true }).click();
  await page.getByLabel('Your password', { exact: true }).fill('not my password at all');
  await page.getByRole('button', { name: 'Reveal', exact: true }).last().click();
  await expect(page.getByText('The password is not correct.')).toBeVisible();
  await page.getByLabel('Your password', { exact: true }).fill(member.password);
  await page.getByRole('button', { name: 'Reveal', exact: true }).last().click();
  await expect(page.getByLabel('Revealed key', { exact: true })).toHaveValue(PERSONAL_SECRET);
  await page.getByRole('button', { name: 'Hide', exact: true }).click();
  await expect(page.getByLabel('Revealed key')).toHaveCount(0);
  await signOut(page);

  // The admin sees the key masked among the organization's keys, with no way to reveal it.
  await signIn(page, OWNER.email, OWNER.password);
  await gotoHydrated(page, '/org-keys');
  await page.getByLabel('Scope filter').selectOption('personal');
  const adminRow = page.getByRole('row').filter({ hasText: keyName });
  await expect(adminRow).toContainText('sk-ant-…wxyz');
  await expect(adminRow.getByRole('button', { name: 'Reveal' })).toHaveCount(0);
  await expect(adminRow.getByRole('button', { name: 'Edit' })).toHaveCount(0);
  const list = await page.request.get(`${BASE_URL}/api/admin/api-keys?scope=personal&name=${encodeURIComponent(keyName)}`);
  const id = (await list.json()).keys[0].id;
  // Asking the server directly is refused too, even with the admin's own password.
  const reveal = await page.request.post(`${BASE_URL}/rpc/keys_reveal`, {
    headers: { Origin: BASE_URL },
    form: { id: String(id), password: OWNER.password },
  });
  expect(reveal.status()).toBe(403);
  expect(await reveal.text()).not.toContain(PERSONAL_SECRET);
});

test('an admin defines a custom provider and adds a key for it', async ({ page }) => {
  const suffix = Date.now().toString(36);
  const providerName = `Together ${suffix}`;
  const slug = `together-${suffix}`;
  const project = `Custom ${suffix}`;
  await signIn(page, OWNER.email, OWNER.password);
  await gotoHydrated(page, '/projects');
  await page.getByLabel('Project name', { exact: true }).fill(project);
  await page.getByRole('button', { name: 'Create project', exact: true }).click();
  await expect(page.getByRole('status')).toContainText(`Project ${project} created`);

  await gotoHydrated(page, '/org-keys');
  await page.getByLabel('Provider name', { exact: true }).fill(providerName);
  await page.getByLabel('Slug', { exact: true }).fill(slug);
  await page.getByLabel('Provider base URL', { exact: true }).fill('https://llm.example.com/v1');
  await page.getByLabel('Auth method', { exact: true }).selectOption('header');
  await page.getByLabel('Header or parameter name', { exact: true }).fill('x-api-key');
  await page.getByLabel('Models', { exact: true }).fill('llama-3-70b, mixtral');
  await page.getByRole('button', { name: 'Add provider', exact: true }).click();
  await expect(page.getByRole('status')).toContainText(`Provider ${providerName} added`);
  const providerRow = page.getByRole('row').filter({ hasText: slug });
  await expect(providerRow).toContainText('header x-api-key');
  await expect(providerRow).toContainText('llama-3-70b, mixtral');

  // It is offered for new keys; a key for it is listed under its name.
  await page.getByLabel('Project', { exact: true }).selectOption({ label: project });
  await page.getByLabel('Provider', { exact: true }).selectOption(slug);
  await page.getByLabel('Name', { exact: true }).fill(`Key for ${slug}`);
  await page.getByLabel('API key', { exact: true }).fill('tg-secret-for-custom-0000wxyz');
  await page.getByRole('button', { name: 'Add key', exact: true }).click();
  await expect(page.getByRole('status')).toContainText(`Key Key for ${slug} added`);
  const keyRow = page.getByRole('row').filter({ hasText: `Key for ${slug}` });
  await expect(keyRow).toContainText(providerName);
  await expect(keyRow).toContainText('…wxyz');
});
