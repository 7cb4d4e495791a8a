// Steps many specs share: a project with a provider key the fake provider accepts, a Keygate
// key generated on the project page, and a program calling the proxy with it.
import { expect, type APIRequestContext, type Page } from './fixtures';
import { BASE_URL, gotoHydrated, waitForHydration } from './helpers';

/** Creates a project on /projects and opens its page; returns the page's path. */
export async function createProjectAndOpen(page: Page, project: string): Promise<string> {
  await gotoHydrated(page, '/projects');
  await page.getByLabel('Project name', { exact: true }).fill(project);
  await page.getByRole('button', { name: 'Create project', exact: true }).click();
  await expect(page.getByRole('status')).toContainText(`Project ${project} created`);
  await page.getByRole('row').filter({ hasText: project }).getByRole('link', { name: project }).click();
  await waitForHydration(page);
  await expect(page.getByRole('heading', { name: project })).toBeVisible();
  return new URL(page.url()).pathname;
}

/** On the open project page: stores an OpenAI key (`secret`, by default one the fake
 * provider accepts) under `name`. */
export async function addProviderKey(page: Page, name: string, secret: string): Promise<void> {
  await page.getByLabel('Provider', { exact: true }).selectOption('openai');
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByLabel('API key', { exact: true }).fill(secret);
  await page.getByRole('button', { name: 'Add key', exact: true }).click();
  await expect(page.getByRole('status')).toContainText(`Key ${name} added`);
}

/** An OpenAI key the fake provider accepts, unique per `suffix`. */
export function validOpenAiKey(suffix: string, tag = 'e2e'): string {
  return `sk-proj-VALID-${tag}-${suffix}-0000abcd`;
}

/** The Keygate keys card of the open project page. */
export function keygateKeys(page: Page) {
  return page.getByRole('region', { name: 'Keygate keys', exact: true });
}

export interface TokenOptions {
  /** `1h`, `24h`, … (the form's default when absent). */
  expiry?: string;
  models?: string;
  /** The label of the user option the key acts as. */
  actsAs?: string;
  allowedIps?: string;
}

/** On the open project page: generates a Keygate key; returns the key, shown once. */
export async function generateToken(page: Page, name: string, options: TokenOptions = {}): Promise<string> {
  const card = keygateKeys(page);
  await card.getByLabel('Token name', { exact: true }).fill(name);
  if (options.expiry) {
    await card.getByLabel('Expires after', { exact: true }).selectOption(options.expiry);
  }
  if (options.models !== undefined) {
    await card.getByLabel('Allowed models', { exact: true }).fill(options.models);
  }
  if (options.allowedIps !== undefined) {
    await card.getByLabel('Allowed IPs', { exact: true }).fill(options.allowedIps);
  }
  if (options.actsAs) {
    await card.getByLabel('Acts as user', { exact: true }).selectOption({ label: options.actsAs });
  }
  await card.getByRole('button', { name: 'Generate token', exact: true }).click();
  await expect(page.getByRole('status')).toContainText(`Token ${name} generated`);
  const shown = card.getByRole('textbox', { name: /New Keygate key/ }).first();
  await expect(shown).toHaveValue(/^sk-proxy-[A-Za-z0-9]{46}$/);
  return shown.inputValue();
}

/** A program (no cookies) calling the proxy as an OpenAI SDK would. */
export function chat(
  api: APIRequestContext,
  secret: string,
  options: { maxTokens?: number; headers?: Record<string, string> } = {},
) {
  return api.post(`${BASE_URL}/v1/chat/completions`, {
    headers: { Authorization: `Bearer ${secret}`, ...(options.headers ?? {}) },
    data: {
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Say hello' }],
      ...(options.maxTokens === undefined ? {} : { max_tokens: options.maxTokens }),
    },
  });
}
