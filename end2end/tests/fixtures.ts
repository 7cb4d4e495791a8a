// Every spec imports `test` from here: it fails a test whose page broke the Content Security
// Policy, panicked in WASM, or threw an uncaught exception — problems no assertion would see.
import { test as base, expect } from '@playwright/test';

export * from '@playwright/test';

export const test = base.extend<{ browserErrors: void }>({
  browserErrors: [
    async ({ page }, use) => {
      const problems: string[] = [];
      page.on('console', (msg) => {
        const text = msg.text();
        if (msg.type() === 'error' && /Content Security Policy|panicked at|hydration/i.test(text)) {
          problems.push(text);
        }
      });
      page.on('pageerror', (err) => problems.push(`uncaught: ${err.message}`));
      await use();
      expect(problems, 'errors in the browser console').toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };
