/**
 * The alert store's writer, in a worker thread of its own (see writer.ts). better-sqlite3 is synchronous
 * and every commit waits for an fsync, so on the main thread each commit stalled every request and page
 * for its duration; here the server goes on parsing the next deliveries while this one waits on the disk.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openSqliteDatabase } from './database.ts';
import type { WriterReply, WriterRequest } from './writer.ts';

if (!parentPort) throw new Error('writer-thread.ts runs as a worker thread (see writer.ts)');
const port = parentPort;
const reply = (message: WriterReply) => port.postMessage(message);

const store = openSqliteDatabase((workerData as { dataDir: string }).dataDir);
store.optimize();
reply({ kind: 'ready' });

// The planner's statistics follow the store as it grows: looked at after a write, at most once a minute.
const OPTIMIZE_EVERY_MS = 60_000;
let optimized = Date.now();
function optimizeNowAndThen(): void {
  if (Date.now() - optimized < OPTIMIZE_EVERY_MS) return;
  optimized = Date.now();
  store.optimize();
}

function perform(request: WriterRequest): unknown {
  switch (request.op) {
    case 'ingestMany':
      return store.ingestMany(request.deliveries);
    case 'addEvidence':
      return store.addEvidence(...request.evidence);
    case 'prune':
      return store.prune(request.olderThanMs, request.now, request.limit);
    case 'probe':
      return store.probeWrite();
    case 'close':
      store.close();
      return null;
  }
}

port.on('message', (request: WriterRequest) => {
  try {
    reply({ kind: 'done', id: request.id, value: perform(request) });
  } catch (error) {
    const { name, message, code } = error as { name?: unknown; message?: unknown; code?: unknown };
    reply({
      kind: 'failed',
      id: request.id,
      error: {
        name: String(name),
        message: String(message),
        code: typeof code === 'string' ? code : undefined,
      },
    });
  }
  try {
    if (request.op !== 'close') optimizeNowAndThen();
  } catch {
    // Statistics not refreshed: lists may be slower, never wrong; the next write says what is at fault.
  }
  // With the port closed and nothing else to do, the thread exits.
  if (request.op === 'close') port.close();
});
