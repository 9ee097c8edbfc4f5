// A worker thread's entry: threads do not inherit the main thread's tsx hooks (bin/burnbook.js), so each
// registers its own before it runs the TypeScript module it was started for (workerData.module, a URL).
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.module);
