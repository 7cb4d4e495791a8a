// Helpers shared by global-setup.ts and global-teardown.ts.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BIN_FILE, SERVER_LOG } from './constants';

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * True if `pid` is alive and runs the binary recorded by global-setup.ts (guards against
 * killing an unrelated process that reused the pid of a server from an earlier run).
 */
export function isOurServer(pid: number): boolean {
  let bin = 'keygate';
  try {
    bin = path.basename(fs.readFileSync(BIN_FILE, 'utf8').trim()) || bin;
  } catch {
    // no record: fall back to the default binary name
  }
  try {
    const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    // Any argv element, so that a wrapper (`node script`, `sh script`) is recognised too.
    return argv.some((arg) => path.basename(arg) === bin);
  } catch {
    return false;
  }
}

/** SIGTERM, then SIGKILL if the process is still there after `graceMs`. */
export async function stopProcess(pid: number, graceMs = 5_000): Promise<void> {
  if (!isAlive(pid)) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return;
    await sleep(100);
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

export function readIntFile(file: string): number | undefined {
  try {
    const n = Number.parseInt(fs.readFileSync(file, 'utf8').trim(), 10);
    return Number.isFinite(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

export function logTail(lines = 60): string {
  try {
    const text = fs.readFileSync(SERVER_LOG, 'utf8');
    return text.split('\n').slice(-lines).join('\n');
  } catch {
    return '(no server log)';
  }
}
