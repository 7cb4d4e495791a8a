import * as path from 'node:path';

/** Address the end-to-end server listens on (kept away from `make run`'s port 3000). */
export const HOST = '127.0.0.1';
export const PORT = 3107;
export const BASE_URL = `http://${HOST}:${PORT}`;

/** end2end/ and the repository root. */
export const E2E_DIR = __dirname;
export const REPO_ROOT = path.resolve(E2E_DIR, '..');

/** Runtime state written by global-setup.ts (gitignored). */
export const SERVER_DIR = path.join(E2E_DIR, '.server');
export const SERVER_LOG = path.join(SERVER_DIR, 'server.log');
export const TOKEN_FILE = path.join(SERVER_DIR, 'setup-token');
export const PID_FILE = path.join(SERVER_DIR, 'pid');
export const DATA_DIR_FILE = path.join(SERVER_DIR, 'data-dir');
export const BIN_FILE = path.join(SERVER_DIR, 'bin');
