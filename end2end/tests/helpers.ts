import * as fs from 'node:fs';
import { expect, type Page } from '@playwright/test';
import { BASE_URL, TOKEN_FILE } from '../constants';

export { BASE_URL };

/** The organization and owner account created by setup.spec.ts. */
export const OWNER = {
  org: 'Acme Inc',
  name: 'Olivia Owner',
  email: 'owner@acme.test',
  password: 'correct horse battery staple',
} as const;

export type Role = 'member' | 'admin' | 'owner';

export interface NewUser {
  name: string;
  email: string;
  role: Role;
  password: string;
}

/** Links every signed-in user sees in the main navigation. */
export const COMMON_NAV_LINKS = ['Dashboard', 'My keys', 'Projects', 'Usage', 'Audit'] as const;
/** Links only admins and owners see. */
export const ADMIN_NAV_LINKS = ['Organization keys', 'Users', 'Limits', 'Alerts', 'Settings'] as const;

/** The one-time setup token global-setup.ts read from the server log. */
export function setupToken(): string {
  return fs.readFileSync(TOKEN_FILE, 'utf8').trim();
}

/** A fresh, unique e-mail address for users created by a test. */
export function uniqueEmail(prefix: string): string {
  return `${prefix}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@acme.test`;
}

/** Wait until the Leptos app has hydrated; do this before every click or keystroke. */
export async function waitForHydration(page: Page): Promise<void> {
  await page.waitForSelector('body[data-hydrated="true"]');
}

/** Navigate and wait for hydration. */
export async function gotoHydrated(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await waitForHydration(page);
}

export function heading(page: Page, name: string) {
  return page.getByRole('heading', { level: 1, name, exact: true });
}

/** Assert the signed-in dashboard is shown. */
export async function expectDashboard(page: Page): Promise<void> {
  await expect(page).toHaveURL(`${BASE_URL}/`);
  await expect(heading(page, 'Dashboard')).toBeVisible();
}

/** Assert the sign-in page is shown. */
export async function expectSignInPage(page: Page): Promise<void> {
  await expect(heading(page, 'Sign in')).toBeVisible();
  await expect(heading(page, 'Dashboard')).toHaveCount(0);
}

export function mainNav(page: Page) {
  return page.getByRole('navigation', { name: 'Main' });
}

/** Fill in and submit the sign-in form (opens /login first); asserts nothing. */
export async function submitSignIn(page: Page, email: string, password: string): Promise<void> {
  if (new URL(page.url(), BASE_URL).pathname !== '/login') {
    await gotoHydrated(page, '/login');
  } else {
    await waitForHydration(page);
  }
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

/** Sign in and wait for the dashboard. */
export async function signIn(page: Page, email: string, password: string): Promise<void> {
  await submitSignIn(page, email, password);
  await expectDashboard(page);
  await waitForHydration(page);
}

/** Sign out through the user menu and wait for the sign-in page. */
export async function signOut(page: Page): Promise<void> {
  await waitForHydration(page);
  const menu = page.locator('details.user-menu');
  if (!(await menu.evaluate((el) => (el as HTMLDetailsElement).open))) {
    await menu.locator('summary').click();
  }
  await menu.getByRole('button', { name: 'Sign out', exact: true }).click();
  await expect(page).toHaveURL(/\/login(\?.*)?$/);
  await expectSignInPage(page);
}

/**
 * Create a user through the Users page. The page must belong to a signed-in admin or
 * owner. Leaves the browser on /users.
 */
export async function createUser(page: Page, user: NewUser): Promise<void> {
  await gotoHydrated(page, '/users');
  await expect(heading(page, 'Users')).toBeVisible();
  await page.getByLabel('Name', { exact: true }).fill(user.name);
  await page.getByLabel('Email', { exact: true }).fill(user.email);
  await page.getByLabel('Role', { exact: true }).selectOption(user.role);
  await page.getByLabel('Initial password', { exact: true }).fill(user.password);
  await page.getByRole('button', { name: 'Add user', exact: true }).click();
  await expect(page.getByRole('status').filter({ hasText: 'User created' })).toBeVisible();
  const row = page.getByRole('row').filter({ hasText: user.email });
  await expect(row).toHaveCount(1);
  await expect(row).toContainText(user.role);
}
