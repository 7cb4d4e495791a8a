import { expect, test, type Page, type Response } from './fixtures';
import {
  OWNER,
  createUser,
  expectDashboard,
  signIn,
  signOut,
  submitSignIn,
  uniqueEmail,
} from './helpers';

const LOGIN_URL = /\/login(\?.*)?$/;

function isLoginPost(response: Response): boolean {
  return response.request().method() === 'POST' && new URL(response.url()).pathname === '/rpc/login';
}

/** Submit the sign-in form and return the server's answer to the /rpc/login POST. */
async function attemptSignIn(page: Page, email: string, password: string): Promise<Response> {
  const answer = page.waitForResponse(isLoginPost);
  await submitSignIn(page, email, password);
  return answer;
}

test('five failed sign-ins lock the account briefly, then it unlocks', async ({ page }) => {
  const user = {
    name: 'Tess Throttle',
    email: uniqueEmail('throttle'),
    role: 'member' as const,
    password: 'throttle test password 1',
  };
  await signIn(page, OWNER.email, OWNER.password);
  await createUser(page, user);
  await signOut(page);

  for (let attempt = 1; attempt <= 5; attempt++) {
    const response = await attemptSignIn(page, user.email, `wrong password ${attempt}`);
    expect(response.status(), `attempt ${attempt} must not be throttled yet`).not.toBe(429);
    await expect(page.getByRole('alert').filter({ hasText: 'Incorrect email or password.' })).toBeVisible();
    await expect(page).toHaveURL(LOGIN_URL);
  }

  // The sixth attempt is refused even with the right password.
  const locked = await attemptSignIn(page, user.email, user.password);
  expect(locked.status()).toBe(429);
  const alert = page.getByRole('alert').filter({ hasText: 'Too many failed attempts' });
  await expect(alert).toHaveText(/^\s*Too many failed attempts\. Try again in \d+ seconds?/);
  const seconds = Number(/Try again in (\d+) second/.exec((await alert.textContent()) ?? '')?.[1]);
  expect(seconds).toBeGreaterThanOrEqual(1);
  expect(seconds).toBeLessThanOrEqual(4);
  await expect(page).toHaveURL(LOGIN_URL);

  await page.waitForTimeout(seconds * 1000 + 500);
  const unlocked = await attemptSignIn(page, user.email, user.password);
  expect(unlocked.status()).toBeLessThan(400);
  await expectDashboard(page);
});
