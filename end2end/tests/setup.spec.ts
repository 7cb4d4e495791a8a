import { expect, test } from './fixtures';
import { OWNER, expectDashboard, gotoHydrated, heading, setupToken } from './helpers';

const INVALID_LINK = 'This setup link is invalid or has already been used.';

// Later tests need the owner created by the first one.
test.describe.configure({ mode: 'serial' });

test('first-run setup creates the organization and its owner', async ({ page }) => {
  await gotoHydrated(page, `/setup?token=${setupToken()}`);
  await expect(heading(page, 'Set up Keygate')).toBeVisible();

  await page.getByLabel('Organization name', { exact: true }).fill(OWNER.org);
  await page.getByLabel('Your name', { exact: true }).fill(OWNER.name);
  await page.getByLabel('Email', { exact: true }).fill(OWNER.email);
  await page.getByLabel('Password', { exact: true }).fill(OWNER.password);
  await page.getByLabel('Confirm password', { exact: true }).fill(OWNER.password);
  await page.getByRole('button', { name: 'Create organization', exact: true }).click();

  await expectDashboard(page);
  await expect(page.locator('details.user-menu > summary')).toContainText(OWNER.name);
});

test('the setup link cannot be used a second time', async ({ page }) => {
  await gotoHydrated(page, `/setup?token=${setupToken()}`);
  await expect(page.getByText(INVALID_LINK)).toBeVisible();
});

test('a made-up setup token is rejected', async ({ page }) => {
  await gotoHydrated(page, '/setup?token=not-a-real-token');
  await expect(page.getByText(INVALID_LINK)).toBeVisible();
});
