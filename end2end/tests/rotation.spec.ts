// Key rotation in the UI: a Keygate key's rotation schedule (with its next due time) set on
// the project page, then a manual rotation whose new key is shown once while the old key
// keeps working during the grace period; a provider key rotated through its dialog, refused
// when the provider refuses the new secret.
import { expect, test, type APIRequestContext, type Page } from './fixtures';
import { BASE_URL, OWNER, gotoHydrated, signIn, waitForHydration } from './helpers';
import {
  addProviderKey,
  chat,
  createProjectAndOpen,
  generateToken,
  keygateKeys,
  validOpenAiKey,
} from './projects-helpers';

test('an admin schedules a Keygate key rotation, rotates the key and sees the new key once', async ({ page, playwright }) => {
  const suffix = Date.now().toString(36);
  const project = `Rotation ${suffix}`;
  const name = `rotating bot ${suffix}`;
  await signIn(page, OWNER.email, OWNER.password);
  await createProjectAndOpen(page, project);
  await addProviderKey(page, `Rotation OpenAI ${suffix}`, validOpenAiKey(suffix, 'rot'));
  const old = await generateToken(page, name);

  // Open the key's rotation panel.
  const row = keygateKeys(page).getByRole('row').filter({ hasText: name });
  await row.getByRole('button', { name: 'Rotation', exact: true }).click();
  const panel = page.getByRole('region', { name: `Rotation of ${name}`, exact: true });
  await expect(panel.getByText('No rotation scheduled.')).toBeVisible();
  await expect(panel.getByText('Never rotated.')).toBeVisible();

  // A schedule that would rotate every minute is refused with a reason.
  const schedule = panel.getByLabel('Rotation schedule', { exact: true });
  await schedule.fill('* * * * *');
  await panel.getByRole('button', { name: 'Save schedule', exact: true }).click();
  await expect(panel.getByRole('alert')).toContainText('at least an hour apart');
  await expect(panel.getByText('No rotation scheduled.')).toBeVisible();

  // Every 30 days: the next due time is shown (UTC).
  await schedule.fill('every 30 days');
  await panel.getByRole('button', { name: 'Save schedule', exact: true }).click();
  await expect(page.getByRole('status')).toContainText('Rotation schedule saved');
  const due = new Date(Date.now() + 30 * 24 * 3600 * 1000).toISOString().slice(0, 10);
  await expect(panel.locator('.next-rotation')).toContainText(`Next rotation: ${due}`);
  await expect(panel.getByLabel('Rotation schedule', { exact: true })).toHaveValue('every 30 days');

  // Rotate by hand: confirm, then the new key is shown once.
  await panel.getByRole('button', { name: 'Rotate', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'Rotate Keygate key' });
  await expect(dialog).toContainText(`Rotate ${name}?`);
  await dialog.getByLabel('Grace period (hours)', { exact: true }).fill('2');
  await dialog.getByRole('button', { name: 'Rotate key', exact: true }).click();
  const shown = panel.getByRole('textbox', { name: /New Keygate key/ });
  await expect(shown).toHaveValue(/^sk-proxy-[A-Za-z0-9]{46}$/);
  const fresh = await shown.inputValue();
  expect(fresh).not.toBe(old);
  await expect(dialog).toBeHidden();
  const history = panel.getByRole('table', { name: 'Rotation history', exact: true });
  await expect(history).toContainText(OWNER.email);
  await expect(history).toContainText('success');
  await expect(panel.locator('.previous-until')).toContainText('The previous key still works until');

  // Both keys work during the grace period.
  const api = await playwright.request.newContext();
  expect((await chat(api, fresh)).status()).toBe(200);
  expect((await chat(api, old)).status()).toBe(200);
  await api.dispose();

  // Reloading never shows the new key again.
  await gotoHydrated(page, page.url());
  expect(await page.content()).not.toContain(fresh);
});

test('an admin rotates a provider key: a refused secret changes nothing, an accepted one switches', async ({ page }) => {
  const suffix = Date.now().toString(36);
  const project = `Provider rotation ${suffix}`;
  const name = `Rotating OpenAI ${suffix}`;
  await signIn(page, OWNER.email, OWNER.password);
  await createProjectAndOpen(page, project);
  await addProviderKey(page, name, validOpenAiKey(suffix, 'rot'));

  const row = page.getByRole('row').filter({ hasText: name }).first();
  await row.getByRole('button', { name: 'Rotation', exact: true }).click();
  const panel = page.getByRole('region', { name: `Rotation of ${name}`, exact: true });
  await expect(panel.getByText('Never rotated.')).toBeVisible();
  await panel.getByRole('button', { name: 'Rotate…', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'Rotate provider key' });

  // The provider refuses the new secret: the dialog says so and the key keeps its secret.
  await dialog.getByLabel('New secret', { exact: true }).fill(`sk-proj-refused-${suffix}-0000wxyz`);
  await dialog.getByRole('button', { name: 'Verify and rotate', exact: true }).click();
  await expect(dialog.getByRole('alert')).toContainText('not rotated');
  await expect(row).toContainText('…abcd');

  await dialog.getByLabel('New secret', { exact: true }).fill(`sk-proj-VALID-new-${suffix}-0000wxyz`);
  await dialog.getByLabel('Grace period (hours)', { exact: true }).fill('1');
  await dialog.getByRole('button', { name: 'Verify and rotate', exact: true }).click();
  await expect(page.getByRole('status')).toContainText('Rotated to sk-proj-…wxyz');
  await expect(dialog).toBeHidden();
  const history = panel.getByRole('table', { name: 'Rotation history', exact: true });
  await expect(history.getByRole('row')).toHaveCount(3);
  await expect(history).toContainText('failed');
  await expect(history).toContainText('success');
  await expect(panel.locator('.previous-until')).toContainText('The previous key still works until');

  // A schedule on a provider key shows its next due time too; the page has no hydration errors.
  await panel.getByLabel('Rotation schedule', { exact: true }).fill('0 3 1 * *');
  await panel.getByRole('button', { name: 'Save schedule', exact: true }).click();
  await expect(panel.locator('.next-rotation')).toContainText(/Next rotation: \d{4}-\d{2}-01 03:00 UTC/);
  await gotoHydrated(page, '/keys');
});
