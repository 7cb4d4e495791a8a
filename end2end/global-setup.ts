// Starts the Keygate server binary for the end-to-end suite.
//
// The server is started here rather than through Playwright's `webServer` so that its log
// can be read: on first run with an empty data directory Keygate prints a one-time setup
// URL (`.../setup?token=...`), which setup.spec.ts needs.
//
// Environment:
//   KEYGATE_BIN        server binary (default: <repo>/target/debug/keygate)
//   KEYGATE_SITE_ROOT  site root with pkg/keygate.{js,wasm} (default: <repo>/target/site)
//
// Writes to end2end/.server/: server.log, setup-token, pid, bin, data-dir.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  BASE_URL,
  BIN_FILE,
  DATA_DIR_FILE,
  HOST,
  PID_FILE,
  PORT,
  REPO_ROOT,
  SERVER_DIR,
  SERVER_LOG,
  TOKEN_FILE,
} from './constants';
import { startFakeProvider } from './fake-provider';
import { isOurServer, logTail, readIntFile, sleep, stopProcess } from './server-process';

const STARTUP_TIMEOUT_MS = 60_000;
const TOKEN_RE = /setup\?token=([A-Za-z0-9_-]+)/;

async function loginPageAnswers(): Promise<boolean> {
  try {
    const res = await fetch(`${BASE_URL}/login`, { signal: AbortSignal.timeout(2_000) });
    return res.ok;
  } catch {
    return false;
  }
}

async function portAnswers(): Promise<boolean> {
  try {
    await fetch(`${BASE_URL}/`, { signal: AbortSignal.timeout(1_000), redirect: 'manual' });
    return true;
  } catch {
    return false;
  }
}

export default async function globalSetup(): Promise<void> {
  // A server left over from an aborted run would hold the port (and an old database).
  const stalePid = readIntFile(PID_FILE);
  if (stalePid !== undefined && isOurServer(stalePid)) {
    await stopProcess(stalePid);
  }
  if (await portAnswers()) {
    throw new Error(`Something is already listening on ${BASE_URL}; stop it before running the end-to-end tests.`);
  }

  const bin = process.env.KEYGATE_BIN
    ? path.resolve(process.env.KEYGATE_BIN)
    : path.join(REPO_ROOT, 'target', 'debug', 'keygate');
  const siteRoot = process.env.KEYGATE_SITE_ROOT
    ? path.resolve(process.env.KEYGATE_SITE_ROOT)
    : path.join(REPO_ROOT, 'target', 'site');
  if (!fs.existsSync(bin)) {
    throw new Error(`Keygate server binary not found at ${bin}. Build it first with \`cargo leptos build\`.`);
  }
  const wasm = path.join(siteRoot, 'pkg', 'keygate.wasm');
  if (!fs.existsSync(wasm)) {
    throw new Error(`${wasm} not found; the pages would never hydrate. Build it first with \`cargo leptos build\`.`);
  }

  fs.rmSync(SERVER_DIR, { recursive: true, force: true });
  fs.mkdirSync(SERVER_DIR, { recursive: true });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'keygate-e2e-'));
  fs.writeFileSync(DATA_DIR_FILE, `${dataDir}\n`);

  // Start from the caller's environment minus anything that could point the server at
  // another database, address or site.
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('KEYGATE_') && !key.startsWith('LEPTOS_')) env[key] = value;
  }
  const fakeProvider = await startFakeProvider();
  Object.assign(env, {
    KEYGATE_OPENAI_BASE_URL: `${fakeProvider}/v1`,
    KEYGATE_ANTHROPIC_BASE_URL: `${fakeProvider}/anthropic`,
    // An operator-configured fallback, shown as "from environment".
    KEYGATE_FALLBACK_GROQ_API_KEY: 'gsk_e2efallbackkey0000wxyz',
    KEYGATE_ADDR: `${HOST}:${PORT}`,
    KEYGATE_DATA_DIR: dataDir,
    LEPTOS_SITE_ROOT: siteRoot,
    // Only used if the server falls back to leptos' own address setting.
    LEPTOS_SITE_ADDR: `${HOST}:${PORT}`,
    RUST_LOG: 'info',
    RUST_BACKTRACE: '1',
    NO_COLOR: '1',
  });

  const logFd = fs.openSync(SERVER_LOG, 'w');
  const child = spawn(bin, [], { cwd: REPO_ROOT, env, stdio: ['ignore', logFd, logFd] });
  fs.closeSync(logFd);
  let exited: string | undefined;
  child.on('exit', (code, signal) => {
    exited = signal ? `was killed by ${signal}` : `exited with status ${code}`;
  });
  child.on('error', (err) => {
    exited = `could not be started: ${err.message}`;
  });
  // Let the test runner exit even if teardown never runs; teardown kills the server.
  child.unref();
  if (child.pid === undefined) {
    await sleep(100);
    throw new Error(`Keygate server ${exited ?? 'could not be started'} (${bin})`);
  }
  fs.writeFileSync(PID_FILE, `${child.pid}\n`);
  fs.writeFileSync(BIN_FILE, `${bin}\n`);

  const fail = async (why: string): Promise<never> => {
    if (child.pid !== undefined) await stopProcess(child.pid);
    throw new Error(`Keygate server ${why}.\n--- ${SERVER_LOG} (tail) ---\n${logTail()}`);
  };

  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  let token: string | undefined;
  for (;;) {
    if (exited) return fail(exited);
    if (!token) {
      const match = TOKEN_RE.exec(fs.readFileSync(SERVER_LOG, 'utf8'));
      if (match) token = match[1];
    }
    if (token && (await loginPageAnswers())) break;
    if (Date.now() > deadline) {
      return fail(
        token
          ? `printed a setup URL but GET ${BASE_URL}/login did not answer within ${STARTUP_TIMEOUT_MS / 1000} s`
          : `did not print a setup URL (setup?token=...) within ${STARTUP_TIMEOUT_MS / 1000} s`,
      );
    }
    await sleep(200);
  }

  fs.writeFileSync(TOKEN_FILE, `${token}\n`);
  console.log(`Keygate e2e server: pid ${child.pid}, ${BASE_URL}, log ${path.relative(process.cwd(), SERVER_LOG)}`);
}
