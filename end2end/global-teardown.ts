// Stops the server started by global-setup.ts and removes its temporary data directory
// (kept when KEYGATE_E2E_KEEP_DATA is set). The log stays in end2end/.server/.
import * as fs from 'node:fs';
import { DATA_DIR_FILE, PID_FILE } from './constants';
import { isOurServer, readIntFile, stopProcess } from './server-process';

export default async function globalTeardown(): Promise<void> {
  const pid = readIntFile(PID_FILE);
  if (pid !== undefined && isOurServer(pid)) {
    await stopProcess(pid);
  }
  fs.rmSync(PID_FILE, { force: true });

  if (!process.env.KEYGATE_E2E_KEEP_DATA && fs.existsSync(DATA_DIR_FILE)) {
    const dataDir = fs.readFileSync(DATA_DIR_FILE, 'utf8').trim();
    if (dataDir.includes('keygate-e2e-')) {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }
}
