import { expect, test, type Response } from './fixtures';
import { BASE_URL, OWNER, expectDashboard, expectSignInPage, gotoHydrated, signIn } from './helpers';

const EVIL_ORIGIN = 'http://evil.test';

function isLogoutPost(response: Response): boolean {
  return response.request().method() === 'POST' && new URL(response.url()).pathname === '/rpc/logout';
}

test('a cross-site form post cannot sign the user out', async ({ page }) => {
  await signIn(page, OWNER.email, OWNER.password);

  // A page on another site that silently posts a form to Keygate as soon as it loads.
  await page.route(`${EVIL_ORIGIN}/**`, (route) =>
    route.fulfill({
      status: 200,
      contentType: 'text/html; charset=utf-8',
      body: `<!doctype html>
<html><head><title>Win a prize</title></head>
<body>
  <form id="f" method="post" action="${BASE_URL}/rpc/logout">
    <input type="hidden" name="x" value="1">
  </form>
  <script>document.getElementById('f').submit();</script>
</body></html>`,
    }),
  );

  const logout = page.waitForResponse(isLogoutPost);
  await page.goto(`${EVIL_ORIGIN}/`);
  const response = await logout;
  // Chromium really sent it as a cross-site request.
  expect(await response.request().headerValue('origin')).not.toBe(BASE_URL);
  expect(response.status()).toBe(403);

  await gotoHydrated(page, `${BASE_URL}/`);
  await expectDashboard(page);
});

test('a state-changing request with a foreign Origin header is refused', async ({ page }) => {
  await signIn(page, OWNER.email, OWNER.password);

  const foreign = await page.request.post(`${BASE_URL}/rpc/logout`, {
    headers: { Origin: EVIL_ORIGIN },
    form: {},
    maxRedirects: 0,
  });
  expect(foreign.status()).toBe(403);
  await gotoHydrated(page, '/');
  await expectDashboard(page);

  // Control: the same request from Keygate's own origin does sign out.
  const own = await page.request.post(`${BASE_URL}/rpc/logout`, {
    headers: { Origin: BASE_URL },
    form: {},
    maxRedirects: 0,
  });
  expect(own.status()).toBeLessThan(400);
  await page.goto('/');
  await expectSignInPage(page);
});
