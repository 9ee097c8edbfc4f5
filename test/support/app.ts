import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp, type ServerOptions } from '../../src/server/app.ts';

/**
 * buildApp as most tests want it: links under http://burnbook.test, the repository's runbooks/, and an
 * alert store of its own in a fresh temporary directory. Anything given overrides those.
 */
export function testApp(options: Pick<ServerOptions, 'slos'> & Partial<ServerOptions>) {
  return buildApp({
    externalUrl: 'http://burnbook.test',
    runbooksDir: 'runbooks',
    dataDir: mkdtempSync(join(tmpdir(), 'burnbook-app-')),
    ...options,
  });
}
