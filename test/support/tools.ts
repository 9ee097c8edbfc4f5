import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

// Where each binary the tests run comes from, so the failure says what to install.
const DEBIAN_PACKAGES: Record<string, string> = {
  prometheus: 'prometheus',
  promtool: 'prometheus',
  'prometheus-alertmanager': 'prometheus-alertmanager',
  amtool: 'prometheus-alertmanager',
  chromium: 'chromium',
  wrk: 'wrk',
  initdb: 'postgresql',
  pg_ctl: 'postgresql',
  'victoria-metrics': 'victoria-metrics',
  vmalert: 'victoria-metrics',
};

/**
 * The absolute path of an executable (a name looked up on PATH, or an absolute path), or a loud error.
 * Tests that need a real component fail when it is missing; they never skip, so a green run means it ran.
 */
export function requireTool(name: string): string {
  const candidates = isAbsolute(name)
    ? [name]
    : (process.env.PATH ?? '')
        .split(delimiter)
        .filter(Boolean)
        .map((dir) => join(dir, name));
  const found = candidates.find(isExecutable);
  if (found) return found;
  const tool = name.split('/').pop() ?? name;
  const pkg = DEBIAN_PACKAGES[tool];
  throw new Error(
    `Required tool "${name}" is missing or not executable${isAbsolute(name) ? '' : ' (searched PATH)'}. ` +
      `This test runs the real component and does not skip without it; ` +
      (pkg ? `install it with: apt-get install ${pkg}` : 'install it and run the tests again'),
  );
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
