import {
  chmodSync,
  closeSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { parseAlertmanagerPayload } from '../src/alerts/payload.ts';
import { QueueClosedError } from '../src/alerts/store/group-commit.ts';
import { alertStoreFile, openSqliteDatabase } from '../src/alerts/store/sqlite/database.ts';
import {
  classifySqliteError,
  isTransientSqliteError,
  StoreFaultError,
} from '../src/alerts/store/sqlite/faults.ts';
import { loadSpecs } from '../src/spec/load.ts';
import { testApp } from './support/app.ts';
import { startBurnbook } from './support/burnbook.ts';
import type { RunningServer } from './support/process.ts';

/**
 * The alert store when it fails: a decision table for what each failure means, a damaged file at start
 * (serve exits 3 saying what to do), pages damaged under a running server (503 for Alertmanager to retry,
 * /healthz failing, /metrics answering), and a store that cannot be written at start (read-only: pages
 * work, webhooks 503, the cause named). All on real SQLite files.
 */

const { slos } = loadSpecs(['slos']);
const FIRING = readFileSync('test/fixtures/alertmanager/firing.json', 'utf8');
const RESOLVED = readFileSync('test/fixtures/alertmanager/resolved.json', 'utf8');

const sqliteError = (code: string, message = code) => Object.assign(new Error(message), { code });

describe('what a store failure means: every fault of the store is a 503 Alertmanager retries, a bug a 500', () => {
  it.each<[string, unknown, string]>([
    ['another process holds the lock', sqliteError('SQLITE_BUSY', 'database is locked'), 'busy'],
    ['a snapshot another connection moved past', sqliteError('SQLITE_BUSY_SNAPSHOT'), 'busy'],
    ['a locked table', sqliteError('SQLITE_LOCKED_SHAREDCACHE'), 'busy'],
    ['a lock protocol failure', sqliteError('SQLITE_PROTOCOL'), 'busy'],
    ['a full disk', sqliteError('SQLITE_FULL', 'database or disk is full'), 'unwritable'],
    ['a full disk, from the OS', sqliteError('ENOSPC'), 'unwritable'],
    [
      'a read-only file',
      sqliteError('SQLITE_READONLY', 'attempt to write a readonly database'),
      'unwritable',
    ],
    ['a read-only directory', sqliteError('SQLITE_READONLY_DIRECTORY'), 'unwritable'],
    ['a read-only file system', sqliteError('EROFS'), 'unwritable'],
    ['no permission', sqliteError('EACCES'), 'unwritable'],
    ['a failing disk', sqliteError('SQLITE_IOERR_WRITE', 'disk I/O error'), 'unwritable'],
    ['a failing fsync', sqliteError('SQLITE_IOERR_FSYNC'), 'unwritable'],
    ['no memory', sqliteError('SQLITE_NOMEM'), 'unwritable'],
    ['a file that cannot be opened', sqliteError('SQLITE_CANTOPEN'), 'unwritable'],
    ['damaged pages', sqliteError('SQLITE_CORRUPT', 'database disk image is malformed'), 'damaged'],
    ['no database at all', sqliteError('SQLITE_NOTADB', 'file is not a database'), 'damaged'],
    ['shutting down', new QueueClosedError(), 'closed'],
    ['a closed connection', new TypeError('The database connection is not open'), 'closed'],
    ['read-only since start', new StoreFaultError({ kind: 'unwritable', reason: 'x' }, 'x'), 'unwritable'],
    ['a constraint the body broke', sqliteError('SQLITE_CONSTRAINT_NOTNULL'), 'bug'],
    ['a check the body broke', sqliteError('SQLITE_CONSTRAINT_CHECK'), 'bug'],
    ['a type mismatch', sqliteError('SQLITE_MISMATCH'), 'bug'],
    ['a bug', new TypeError('cannot read properties of undefined'), 'bug'],
    ['a code only in the message', new Error('SQLITE_BUSY, but only in the message'), 'bug'],
    ['something thrown that is no error', 'oops', 'bug'],
    ['nothing at all', undefined, 'bug'],
  ])('%s: %s', (_, error, kind) => {
    expect(classifySqliteError(error).kind).toBe(kind);
    expect(isTransientSqliteError(error)).toBe(kind !== 'bug');
  });
});

/** Overwrites every page but the first (the header and the schema) with noise: the tables are unreadable. */
function damagePages(file: string): void {
  const pageSize = 4096;
  const pages = Math.floor(statSync(file).size / pageSize);
  const noise = Buffer.alloc(pageSize, 0xa5);
  const fd = openSync(file, 'r+');
  for (let page = 1; page < pages; page++) writeSync(fd, noise, 0, pageSize, page * pageSize);
  closeSync(fd);
}

const dataDirs: string[] = [];

/** A store holding the recorded firing alerts, closed, in a fresh data directory. */
function storeWithAlerts(): string {
  const dataDir = mkdtempSync(join(tmpdir(), 'burnbook-faults-'));
  dataDirs.push(dataDir);
  const store = openSqliteDatabase(dataDir);
  const parsed = parseAlertmanagerPayload(JSON.parse(FIRING));
  if (!parsed.ok) throw new Error('fixture invalid');
  store.ingest(parsed.payload, Date.now());
  store.close();
  return dataDir;
}

const servers: RunningServer[] = [];
const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});
afterAll(async () => {
  await Promise.all(apps.map((app) => app.close()));
  for (const dir of dataDirs) {
    chmodSync(dir, 0o755);
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('a damaged store', () => {
  it('at start: serve exits 3, naming the file and what to do', async () => {
    const dataDir = storeWithAlerts();
    damagePages(alertStoreFile(dataDir));
    const started = startBurnbook({ dataDir });
    const failure = await started.then(
      (server) => {
        servers.push(server);
        return 'started';
      },
      (error: Error) => error.message,
    );
    expect(failure).toContain('exited with code 3');
    const file = alertStoreFile(dataDir);
    expect(failure).toContain(`${file}: the file is damaged (SQLITE_CORRUPT`);
    expect(failure).toContain(`mv ${file} ${file}.damaged`);
    expect(failure).toContain('.recover');
    expect(failure).not.toMatch(/\n\s+at /);
  });

  it('while serving: webhooks 503 with Retry-After, /healthz fails, /metrics answers, pages say why', async () => {
    const dataDir = storeWithAlerts();
    const app = await testApp({ slos, dataDir });
    apps.push(app);
    const post = (body: string) =>
      app.inject({
        method: 'POST',
        url: '/hooks/alertmanager',
        headers: { 'content-type': 'application/json' },
        payload: body,
      });
    expect((await post(FIRING)).statusCode).toBe(200);
    expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);

    // Damage the pages under the running server, then make every connection read them anew: a write
    // to the header from another connection tells SQLite the file changed.
    const file = alertStoreFile(dataDir);
    const other = new Database(file);
    other.pragma('wal_checkpoint(TRUNCATE)');
    damagePages(file);
    other.pragma(`user_version = ${other.pragma('user_version', { simple: true })}`);
    other.close();

    const refused = await post(RESOLVED);
    expect(refused.statusCode).toBe(503);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.json().problems[0]).toMatch(/damaged \(SQLITE_CORRUPT/);

    const health = await app.inject({ url: '/healthz' });
    expect(health.statusCode).toBe(503);
    expect(health.json().problems[0]).toContain(`${file}: the file is damaged`);

    const metrics = await app.inject({ url: '/metrics' });
    expect(metrics.statusCode).toBe(200);
    expect(metrics.body).toMatch(/^burnbook_alert_store_healthy 0$/m);
    expect(metrics.body).toMatch(/^burnbook_webhook_requests_total\{outcome="error"\} 1$/m);

    const page = await app.inject({ url: '/alerts' });
    expect(page.statusCode).toBe(503);
    expect(page.body).toContain('The alert history cannot be read');
    expect(page.body).toContain('the file is damaged');
    const api = await app.inject({ url: '/api/v1/alerts' });
    expect(api.statusCode).toBe(503);
    expect(api.json().problems[0]).toContain('the file is damaged');
    expect((await app.inject({ url: '/' })).statusCode).toBe(200);
  });
});

describe('a store that cannot be written at start', () => {
  // Root writes through any permission, so the server runs as nobody where the tests run as root.
  const user = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : undefined;

  async function readOnlyServer(lock: (dataDir: string) => void): Promise<RunningServer> {
    const dataDir = storeWithAlerts();
    chmodSync(dataDir, 0o755);
    chmodSync(alertStoreFile(dataDir), 0o644);
    lock(dataDir);
    const server = await startBurnbook({ dataDir, readyPath: '/', ...(user ? { user } : {}) });
    servers.push(server);
    return server;
  }

  const get = (server: RunningServer, path: string) => fetch(`${server.url}${path}`);
  const post = (server: RunningServer, body: string) =>
    fetch(`${server.url}/hooks/alertmanager`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });

  it('a read-only file: serves read-only, shows the history, refuses webhooks 503 naming the cause', async () => {
    const server = await readOnlyServer((dataDir) => {
      // The directory stays writable (for nobody too): SQLite reads a WAL database only where it can
      // create the -shm file beside it.
      chmodSync(dataDir, 0o777);
      chmodSync(alertStoreFile(dataDir), 0o444);
    });
    expect(readFileSync(server.logPath, 'utf8')).toMatch(
      /Starting read-only: .*burnbook\.sqlite cannot be written/,
    );

    const refused = await post(server, RESOLVED);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    const answer = (await refused.json()) as { problems: string[] };
    expect(answer.problems[0]).toMatch(
      /burnbook\.sqlite cannot be written: the file or its directory is read-only/,
    );

    const health = await get(server, '/healthz');
    expect(health.status).toBe(503);
    expect(((await health.json()) as { problems: string[] }).problems[0]).toContain('read-only');

    const alerts = await get(server, '/alerts');
    expect(alerts.status).toBe(200);
    const html = await alerts.text();
    expect(html).toContain('The alert store is not healthy');
    expect(html).toContain('cannot be written: the file or its directory is read-only');
    expect(html).toContain('availability-fast-burn');
    expect((await get(server, '/')).status).toBe(200);
    expect((await get(server, '/runbooks/checkout/availability-fast-burn')).status).toBe(200);
    expect(await (await get(server, '/metrics')).text()).toMatch(/^burnbook_alert_store_healthy 0$/m);
  });

  it('a read-only directory: pages work, the history says it cannot be read, webhooks 503', async () => {
    const server = await readOnlyServer((dataDir) => {
      chmodSync(alertStoreFile(dataDir), 0o444);
      chmodSync(dataDir, 0o555);
    });
    expect((await post(server, RESOLVED)).status).toBe(503);
    expect((await get(server, '/healthz')).status).toBe(503);
    const alerts = await get(server, '/alerts');
    expect(alerts.status).toBe(503);
    expect(await alerts.text()).toContain('The alert history cannot be read');
    expect((await get(server, '/')).status).toBe(200);
  });
});
