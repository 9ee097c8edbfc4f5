/**
 * The receiver benchmark's baseline: SQLite itself doing the receiver's durable work, with nothing around
 * it. The store's own statements (database.ts: the same rows, indexes, triggers, WAL and synchronous=FULL)
 * called directly on this thread, `batch` bodies per transaction as the group commit forms them when that
 * many connections wait, for bodies parsed and validated beforehand: no HTTP, no JSON, no zod, no thread.
 * `node --import tsx bench/sqlite-ceiling.ts DATA_DIR ALERTS new|repeated BATCH SECONDS` prints
 * `{"bodiesPerSecond": …, "commitP99": seconds}` on stdout.
 */
import { parseAlertmanagerPayload } from '../src/alerts/payload.ts';
import { openSqliteDatabase } from '../src/alerts/store/sqlite/database.ts';
import type { Delivery } from '../src/alerts/store/store.ts';
import { runPrefix, webhookBody } from './webhook-bodies.ts';

const [dataDir, alertsText, freshness, batchText, secondsText] = process.argv.slice(2);
const alerts = Number(alertsText);
const batch = Number(batchText);
const seconds = Number(secondsText);
const fresh = freshness === 'new';

const store = openSqliteDatabase(dataDir as string);
const run = runPrefix();
let next = 0;
const delivery = (ids: number[]): Delivery => {
  const parsed = parseAlertmanagerPayload(JSON.parse(webhookBody(run, ids)));
  if (!parsed.ok) throw new Error(parsed.problems.join('; '));
  return { payload: parsed.payload, receivedAt: Date.now() };
};
const repeated = delivery(Array.from({ length: alerts }, (_, i) => i + 1));
const deliveries = (): Delivery[] =>
  Array.from({ length: batch }, () =>
    fresh ? delivery(Array.from({ length: alerts }, () => ++next)) : { ...repeated, receivedAt: Date.now() },
  );

// Only the commits are timed: building and parsing the next bodies is the server's work, not SQLite's.
const commits: number[] = [];
let bodies = 0;
let busy = 0;
while (busy < seconds) {
  const work = deliveries();
  const started = performance.now();
  store.ingestMany(work);
  const took = (performance.now() - started) / 1000;
  busy += took;
  commits.push(took);
  bodies += work.length;
}
store.close();
commits.sort((a, b) => a - b);
process.stdout.write(
  JSON.stringify({
    bodiesPerSecond: bodies / busy,
    commitP99: commits[Math.min(commits.length - 1, Math.floor(commits.length * 0.99))],
  }),
);
