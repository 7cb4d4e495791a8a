import { expect, test } from './fixtures';
import {
  ADMIN_NAV_LINKS,
  COMMON_NAV_LINKS,
  OWNER,
  expectSignInPage,
  gotoHydrated,
  heading,
  mainNav,
  signIn,
  signOut,
  submitSignIn,
  uniqueEmail,
} from './helpers';

const LOGIN_URL = /\/login(\?.*)?$/;

test('owner signs in, sees the full navigation, and signs out', async ({ page }) => {
  await gotoHydrated(page, '/login');
  await expect(heading(page, 'Sign in')).toBeVisible();

  await signIn(page, OWNER.email, OWNER.password);

  const nav = mainNav(page);
  for (const name of [...COMMON_NAV_LINKS, ...ADMIN_NAV_LINKS]) {
    await expect(nav.getByRole('link', { name, exact: true })).toBeVisible();
  }
  await expect(page.locator('details.user-menu > summary')).toContainText(OWNER.name);

  await signOut(page);
  await expect(page).toHaveURL(LOGIN_URL);
});

test('a wrong password is rejected and the user stays on the sign-in page', async ({ page }) => {
  await submitSignIn(page, OWNER.email, 'not the password');
  await expect(page.getByRole('alert').filter({ hasText: 'Incorrect email or password.' })).toBeVisible();
  await expect(page).toHaveURL(LOGIN_URL);
  await expectSignInPage(page);
});

test('an unknown email gets the same message as a wrong password', async ({ page }) => {
  await submitSignIn(page, uniqueEmail('nobody'), OWNER.password);
  await expect(page.getByRole('alert').filter({ hasText: 'Incorrect email or password.' })).toBeVisible();
  await expect(page).toHaveURL(LOGIN_URL);
});

test('a protected page redirects to sign-in when signed out', async ({ page }) => {
  await page.goto('/account');
  await expect(page).toHaveURL(LOGIN_URL);
  await expectSignInPage(page);
  await expect(heading(page, 'Account')).toHaveCount(0);
});

test('after signing out, Back and reloading / do not show the dashboard', async ({ page }) => {
  // A successful sign-in also resets the owner's failure counter after the test above.
  await signIn(page, OWNER.email, OWNER.password);
  await signOut(page);

  await page.goBack();
  await expectSignInPage(page);

  await page.goto('/');
  await expect(page).toHaveURL(LOGIN_URL);
  await expectSignInPage(page);
});
