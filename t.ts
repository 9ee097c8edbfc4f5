import { loadSpecs } from './src/spec/load.ts';
import { formatSpecError } from './src/spec/errors.ts';
const r = loadSpecs(process.argv.slice(2));
console.log(r.slos.map(s => `${s.service}/${s.name} ${s.alerting.tiers.map(t=>t.name)}`));
console.log(r.errors.map(formatSpecError).join('\n\n'));
