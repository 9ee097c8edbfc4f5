/**
 * The floor under `validate` and `generate`: start Node with the same TypeScript loader, read every spec
 * file and parse its YAML, nothing else. Run as a child process by generate.ts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

const dir = process.argv[2] as string;
let documents = 0;
for (const name of readdirSync(dir).sort()) {
  if (!/\.ya?ml$/.test(name)) continue;
  for (const doc of parseAllDocuments(readFileSync(join(dir, name), 'utf8'))) {
    if ('toJS' in doc && doc.toJS()) documents++;
  }
}
process.stdout.write(`${documents} documents\n`);
