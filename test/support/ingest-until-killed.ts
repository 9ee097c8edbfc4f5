/**
 * The child process of the durability test in test/alerts-store.test.ts, which kills it with SIGKILL:
 *
 *   node --import tsx test/support/ingest-until-killed.ts <dataDir> <round> <alertsPerBatch>
 *
 * Ingests body after body into the store in <dataDir> and prints `committed <n>` once body n has
 * committed. Body n fires batch n (fingerprints `r<round>-b<n>-a<i>`) and resolves batch n - 1, so a
 * body stored in part would show as a batch with some alerts missing, or some still firing. It stops by
 * itself only when its parent is gone or after a minute.
 */
import type { AlertmanagerPayload } from '../../src/alerts/payload.ts';
import { openSqliteDatabase } from '../../src/alerts/store/sqlite/database.ts';

const [dataDir, round, perBatch] = process.argv.slice(2);
if (!dataDir || !round || !perBatch) {
  throw new Error('usage: ingest-until-killed.ts <dataDir> <round> <alertsPerBatch>');
}

const startsAt = Date.now();
const batch = (n: number, status: 'firing' | 'resolved'): AlertmanagerPayload['alerts'] =>
  Array.from({ length: Number(perBatch) }, (_, i) => ({
    status,
    labels: { alertname: 'durability', round, batch: String(n), alert: String(i) },
    annotations: { summary: `batch ${n} alert ${i}` },
    startsAt,
    endsAt: status === 'resolved' ? startsAt + 1 : null,
    generatorURL: '',
    fingerprint: `r${round}-b${n}-a${i}`,
  }));

// A child left behind by a dead test runner must not fill the disk: stop when orphaned or after a while.
const parent = process.ppid;
const deadline = Date.now() + 60_000;

const store = openSqliteDatabase(dataDir);
for (let n = 0; process.ppid === parent && Date.now() < deadline; n++) {
  store.ingest(
    {
      version: '4',
      groupKey: `{}:{round="${round}"}`,
      status: 'firing',
      receiver: 'burnbook',
      groupLabels: { round },
      commonLabels: { alertname: 'durability', round },
      commonAnnotations: {},
      externalURL: 'http://127.0.0.1:9093',
      alerts: n === 0 ? batch(0, 'firing') : [...batch(n - 1, 'resolved'), ...batch(n, 'firing')],
    },
    Date.now(),
  );
  // Writes to a pipe are synchronous on Linux: once this returns, the parent can read the line.
  process.stdout.write(`committed ${n}\n`);
}
