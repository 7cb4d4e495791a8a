import { expect, test } from './fixtures';
import { OWNER, createUser, expectSignInPage, gotoHydrated, heading, signIn, signOut, submitSignIn, uniqueEmail } from './helpers';

test('a user changes their password and signs out everywhere', async ({ page, browser }) => {
  const user = { name: 'Pat Person', email: uniqueEmail('pat'), role: 'member' as const, password: 'first password 123' };
  await signIn(page, OWNER.email, OWNER.password);
  await createUser(page, user);
  await signOut(page);

  // A second device stays signed in until the password changes.
  const other = await browser.newPage();
  await signIn(other, user.email, user.password);

  await signIn(page, user.email, user.password);
  await gotoHydrated(page, '/account');
  await expect(heading(page, 'Account')).toBeVisible();
  await page.getByLabel('Current password', { exact: true }).fill('wrong password 123');
  await page.getByLabel('New password', { exact: true }).fill('second password 456');
  await page.getByLabel('Confirm new password', { exact: true }).fill('second password 456');
  await page.getByRole('button', { name: 'Change password', exact: true }).click();
  await expect(page.getByText('The current password is not correct.')).toBeVisible();
  await expect(page.getByLabel('Current password', { exact: true })).toHaveAttribute('aria-invalid', 'true');

  await page.getByLabel('Current password', { exact: true }).fill(user.password);
  await page.getByLabel('New password', { exact: true }).fill('second password 456');
  await page.getByLabel('Confirm new password', { exact: true }).fill('second password 456');
  await page.getByRole('button', { name: 'Change password', exact: true }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Password changed' })).toBeVisible();

  // The other device was signed out; this one was not.
  await gotoHydrated(other, '/');
  await expectSignInPage(other);
  await gotoHydrated(page, '/');
  await expect(heading(page, 'Dashboard')).toBeVisible();

  // Sign out everywhere asks first, then ends this session too.
  await gotoHydrated(page, '/account');
  await page.getByRole('button', { name: 'Sign out everywhere', exact: true }).click();
  const dialog = page.getByRole('dialog');
  await expect(dialog).toContainText('Sign out of every session');
  await dialog.getByRole('button', { name: 'Sign out everywhere', exact: true }).click();
  await expect(page).toHaveURL(/\/login$/);
  await submitSignIn(page, user.email, user.password);
  await expect(page.getByRole('alert')).toHaveText('Incorrect email or password.');
  await signIn(page, user.email, 'second password 456');
  await other.close();
});

test('an admin changes a role and disables a user after confirming', async ({ page, browser }) => {
  const user = { name: 'Dana Demo', email: uniqueEmail('dana'), role: 'member' as const, password: 'dana password 123' };
  await signIn(page, OWNER.email, OWNER.password);
  await createUser(page, user);
  const row = page.getByRole('row').filter({ hasText: user.email });

  await row.getByLabel(`Role for ${user.email}`).selectOption('admin');
  await expect(page.getByRole('status')).toContainText(`${user.email} is now admin`);
  await expect(row).toContainText('admin');

  const dana = await browser.newPage();
  await signIn(dana, user.email, user.password);

  await row.getByRole('button', { name: 'Disable', exact: true }).click();
  const dialog = page.getByRole('dialog').filter({ hasText: `Disable ${user.email}?` });
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(row).toContainText('active');
  await row.getByRole('button', { name: 'Disable', exact: true }).click();
  await dialog.getByRole('button', { name: 'Disable', exact: true }).click();
  await expect(row).toContainText('disabled');

  await gotoHydrated(dana, '/');
  await expectSignInPage(dana);
  await dana.close();
});
