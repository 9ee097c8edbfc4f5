import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A throwaway copy of the example project (specs and the runbooks they name) to run the CLI in. */
export function exampleProject(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `burnbook-${prefix}-`));
  cpSync('slos', join(dir, 'slos'), { recursive: true });
  cpSync('runbooks', join(dir, 'runbooks'), { recursive: true });
  return dir;
}
