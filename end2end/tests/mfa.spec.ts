import * as OTPAuth from 'otpauth';
import { expect, test } from './fixtures';
import {
  OWNER,
  createUser,
  expectDashboard,
  expectSignInPage,
  gotoHydrated,
  heading,
  signIn,
  signOut,
  submitSignIn,
  uniqueEmail,
  waitForHydration,
} from './helpers';

/** The authenticator app: the secret Keygate showed for typing in by hand. */
function authenticator(secret: string): OTPAuth.TOTP {
  return new OTPAuth.TOTP({
    issuer: 'Keygate',
    algorithm: 'SHA1',
    digits: 6,
    period: 30,
    secret: OTPAuth.Secret.fromBase32(secret),
  });
}

/** The code of the next 30-second step: Keygate accepts one step of drift, and the current
 * step's code was already used to confirm the enrolment (a code never works twice). */
function nextCode(totp: OTPAuth.TOTP): string {
  return totp.generate({ timestamp: Date.now() + 30_000 });
}

test('a user turns on two-factor authentication and signs in with a code', async ({ page }) => {
  const user = { name: 'Tess Totp', email: uniqueEmail('tess'), role: 'member' as const, password: 'tess password 123' };
  await signIn(page, OWNER.email, OWNER.password);
  await createUser(page, user);
  await signOut(page);

  await signIn(page, user.email, user.password);
  await gotoHydrated(page, '/account');
  await expect(heading(page, 'Account')).toBeVisible();
  const card = page.getByRole('region', { name: 'Two-factor authentication' });
  await card.getByRole('button', { name: 'Enable two-factor authentication', exact: true }).click();
  await expect(card.getByRole('img', { name: 'QR code to add Keygate to an authenticator app' })).toBeVisible();
  const secret = (await page.locator('#mfa-secret').innerText()).trim();
  expect(secret).toMatch(/^[A-Z2-7]{32}$/);
  const totp = authenticator(secret);

  // A wrong code is refused; the app's current code turns it on and shows recovery codes once.
  await card.getByLabel('Code from the app', { exact: true }).fill('000000');
  await card.getByRole('button', { name: 'Turn on', exact: true }).click();
  await expect(card.getByText('That code is not right.', { exact: false })).toBeVisible();
  await card.getByLabel('Code from the app', { exact: true }).fill(totp.generate());
  await card.getByRole('button', { name: 'Turn on', exact: true }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Two-factor authentication is on' })).toBeVisible();
  const codes = page.getByRole('region', { name: 'Recovery codes' }).getByRole('listitem');
  await expect(codes).toHaveCount(10);
  const recoveryCode = (await codes.first().innerText()).trim();
  expect(recoveryCode).toMatch(/^[a-z2-9]{5}-[a-z2-9]{5}$/);
  await page.getByRole('button', { name: 'I saved them', exact: true }).click();
  await expect(codes).toHaveCount(0);
  await expect(card).toContainText('10 recovery codes left.');
  await signOut(page);

  // The password alone is not enough: the sign-in page asks for a code.
  await submitSignIn(page, user.email, user.password);
  const code = page.getByLabel('Authentication code', { exact: true });
  await expect(code).toBeVisible();
  await expect(heading(page, 'Dashboard')).toHaveCount(0);
  await code.fill('123456');
  await page.getByRole('button', { name: 'Verify', exact: true }).click();
  await expect(page.getByText('That code is not right.', { exact: false })).toBeVisible();
  await code.fill(nextCode(totp));
  await page.getByRole('button', { name: 'Verify', exact: true }).click();
  await expectDashboard(page);
  await waitForHydration(page);
  await signOut(page);

  // A recovery code works in place of the app's code, once.
  await submitSignIn(page, user.email, user.password);
  await page.getByLabel('Authentication code', { exact: true }).fill(recoveryCode);
  await page.getByRole('button', { name: 'Verify', exact: true }).click();
  await expectDashboard(page);
  await waitForHydration(page);
  await signOut(page);
  await submitSignIn(page, user.email, user.password);
  await page.getByLabel('Authentication code', { exact: true }).fill(recoveryCode);
  await page.getByRole('button', { name: 'Verify', exact: true }).click();
  await expect(page.getByText('That recovery code is not right or was already used.')).toBeVisible();
  // "Start over" goes back to the password form.
  await page.getByRole('button', { name: 'Start over', exact: true }).click();
  await expectSignInPage(page);
  await expect(page.getByLabel('Password', { exact: true })).toBeVisible();
});
