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
reply({ kind: 'ready' });

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
  // With the port closed and nothing else to do, the thread exits.
  if (request.op === 'close') port.close();
});
