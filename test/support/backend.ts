// Locating the real Python backend for tests that run against it.
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** Repository root (tests run from out/test/unit/*.js). */
export const REPO_ROOT = join(__dirname, '..', '..', '..');
export const VENV_PYTHON = process.env.TRITONIZE_TEST_PYTHON ?? join(REPO_ROOT, '.venv', 'bin', 'python');

/** Why the real backend cannot be used here, or null when it can. */
export function backendUnavailable(): string | null {
  if (!existsSync(VENV_PYTHON)) return `no Python venv at ${VENV_PYTHON} (run node scripts/setup.mjs)`;
  if (!existsSync(join(REPO_ROOT, 'python-backend', 'tritonize', 'server', '__main__.py')))
    return 'python-backend/tritonize/server is not there yet';
  return null;
}
