import { expect, test, type Page } from './fixtures';
import {
  ADMIN_NAV_LINKS,
  BASE_URL,
  COMMON_NAV_LINKS,
  OWNER,
  createUser,
  gotoHydrated,
  heading,
  mainNav,
  signIn,
  signOut,
  uniqueEmail,
} from './helpers';

/** A same-origin server-function call made with the page's cookies. */
function callUsersList(page: Page) {
  return page.request.post(`${BASE_URL}/rpc/users_list`, {
    headers: { Origin: BASE_URL },
    form: {},
    maxRedirects: 0,
  });
}

test('a member cannot see or use the admin pages', async ({ page }) => {
  const member = {
    name: 'Max Member',
    email: uniqueEmail('member'),
    role: 'member' as const,
    password: 'member test password 1',
  };

  await signIn(page, OWNER.email, OWNER.password);
  await createUser(page, member);
  // Control: the same request is allowed for the owner, so the 403 below is about the role.
  const ownerCall = await callUsersList(page);
  expect(ownerCall.status(), await ownerCall.text()).toBe(200);
  await signOut(page);

  await signIn(page, member.email, member.password);
  await expect(page.locator('details.user-menu > summary')).toContainText(member.name);
  const nav = mainNav(page);
  for (const name of COMMON_NAV_LINKS) {
    await expect(nav.getByRole('link', { name, exact: true })).toBeVisible();
  }
  for (const name of ADMIN_NAV_LINKS) {
    await expect(nav.getByRole('link', { name, exact: true })).toHaveCount(0);
  }

  await gotoHydrated(page, '/users');
  await expect(heading(page, 'Not allowed')).toBeVisible();
  await expect(page.getByText('You need an admin role to view this page.')).toBeVisible();
  await expect(page.getByText(OWNER.email)).toHaveCount(0);

  const memberCall = await callUsersList(page);
  expect(memberCall.status()).toBe(403);
  expect(await memberCall.text()).not.toContain(OWNER.email);
});
