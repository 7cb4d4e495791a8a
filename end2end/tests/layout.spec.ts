import { expect, test } from './fixtures';
import { OWNER, gotoHydrated, heading, signIn } from './helpers';

test.use({ viewport: { width: 360, height: 740 } });

test('every signed-in page fits a 360 px wide screen without sideways scrolling', async ({ page }) => {
  await signIn(page, OWNER.email, OWNER.password);
  for (const [path, title] of [
    ['/', 'Dashboard'],
    ['/users', 'Users'],
    ['/account', 'Account'],
    ['/settings', 'Settings'],
    ['/limits', 'Limits'],
    ['/alerts', 'Alerts'],
    ['/keys', 'My keys'],
    ['/org-keys', 'Organization keys'],
    ['/usage', 'Usage'],
    ['/personas', 'Personas'],
    ['/audit', 'Audit'],
  ] as const) {
    await gotoHydrated(page, path);
    await expect(heading(page, title)).toBeVisible();
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(width, `${path} is ${width}px wide`).toBeLessThanOrEqual(360);
  }
});

test('pages say what they will hold and carry a title', async ({ page }) => {
  await signIn(page, OWNER.email, OWNER.password);
  await gotoHydrated(page, '/usage');
  await expect(page).toHaveTitle('Usage · Keygate');
  await expect(heading(page, 'Usage')).toBeVisible();
  await gotoHydrated(page, '/audit');
  await expect(page).toHaveTitle('Audit · Keygate');
  await expect(page.getByTestId('chain-status')).toHaveText(/^Chain verified: \d+ entries$/);
});
