import { defineConfig } from '@playwright/test';
import { BASE_URL } from './constants';

// Playwright cannot download its own browsers on this machine; use Debian's chromium.
const launchOptions = {
  executablePath: process.env.KEYGATE_CHROMIUM ?? '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
  ],
};

export default defineConfig({
  testDir: './tests',
  globalSetup: './global-setup.ts',
  globalTeardown: './global-teardown.ts',
  // One server with one SQLite database is shared by all tests, and the specs depend on
  // the owner account created by setup.spec.ts: run everything in order, one at a time.
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: true,
  reporter: 'list',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  outputDir: './test-results',
  use: {
    baseURL: BASE_URL,
    browserName: 'chromium',
    viewport: { width: 1280, height: 800 },
    launchOptions,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
  projects: [
    {
      // First-run setup: consumes the one-time token and creates the owner account.
      name: 'setup',
      testMatch: /setup\.spec\.ts$/,
      use: { browserName: 'chromium' },
    },
    {
      name: 'chromium',
      testIgnore: /setup\.spec\.ts$/,
      dependencies: ['setup'],
      use: { browserName: 'chromium' },
    },
  ],
});
