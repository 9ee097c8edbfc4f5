import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresStore } from '../src/alerts/store/postgres/store.ts';
import { buildApp, type ServerOptions } from '../src/server/app.ts';
import { loadSpecs } from '../src/spec/load.ts';
import { type RunningPostgres, startPostgres } from './support/postgres.ts';

/**
 * The webhook, the alert pages and the API on a real store, with the payloads a real Alertmanager sent
 * (test/fixtures/alertmanager). Their runbook_url points at http://127.0.0.1:8080, the default external URL.
 * Everything runs against both stores: SQLite in a data directory, and a real PostgreSQL.
 */

const { slos } = loadSpecs(['slos']);
const EXTERNAL = 'http://127.0.0.1:8080';
const fixture = (name: string) =>
  JSON.parse(readFileSync(`test/fixtures/alertmanager/${name}.json`, 'utf8')) as Payload;
const FIRING = fixture('firing');
const RESOLVED = fixture('resolved');

interface Alert {
  status: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
}
type Payload = Record<string, unknown> & { alerts: Alert[] };

interface ApiAlert {
  id: number;
  fingerprint: string;
  status: string;
  receiveCount: number;
  labels: Record<string, string>;
  runbook: { path: string } | { url: string } | null;
}

const apps: FastifyInstance[] = [];
let postgres: RunningPostgres;

beforeAll(async () => {
  postgres = await startPostgres();
});

afterAll(async () => {
  await Promise.all(apps.map((app) => app.close()));
  await postgres?.stop();
});

/** A store backend the server can run on: how to open a fresh one, and how to get in its way. */
interface Backend {
  name: string;
  newApp(
    options?: Partial<ServerOptions>,
  ): Promise<{ app: FastifyInstance; block(): Promise<() => Promise<void>> }>;
}

async function appWith(options: Partial<ServerOptions>, dataDir: string) {
  const app = await buildApp({ slos, externalUrl: EXTERNAL, runbooksDir: 'runbooks', dataDir, ...options });
  apps.push(app);
  await app.ready();
  return app;
}

const BACKENDS: Backend[] = [
  {
    name: 'SQLite',
    async newApp(options = {}) {
      const dataDir = mkdtempSync(join(tmpdir(), 'burnbook-receiver-'));
      const app = await appWith(options, dataDir);
      return {
        app,
        // Another process holding the write lock: SQLITE_BUSY after the store's short busy timeout.
        async block() {
          const other = new Database(join(dataDir, 'burnbook.sqlite'));
          other.exec('BEGIN IMMEDIATE');
          return async () => {
            other.exec('ROLLBACK');
            other.close();
          };
        },
      };
    },
  },
  {
    name: 'PostgreSQL',
    async newApp(options = {}) {
      const url = await postgres.createDatabase();
      const app = await appWith(
        // A lock held past 0.5 s is a 503 here (5 s by default), so block() costs the test little.
        { openStore: (hooks) => openPostgresStore({ url, lockTimeoutMs: 500, ...hooks }), ...options },
        mkdtempSync(join(tmpdir(), 'burnbook-receiver-unused-')),
      );
      return {
        app,
        // Another session holding the table: the store's lock timeout passes while it waits.
        async block() {
          const other = new pg.Client({ connectionString: url });
          await other.connect();
          await other.query('BEGIN');
          await other.query('LOCK TABLE burnbook.alerts IN ACCESS EXCLUSIVE MODE');
          return async () => {
            await other.query('ROLLBACK');
            await other.end();
          };
        },
      };
    },
  },
];

function post(app: FastifyInstance, body: unknown, headers: Record<string, string> = {}) {
  return app.inject({
    method: 'POST',
    url: '/hooks/alertmanager',
    headers: { 'content-type': 'application/json', ...headers },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

async function stored(app: FastifyInstance, query = ''): Promise<ApiAlert[]> {
  const response = await app.inject({ url: `/api/v1/alerts?limit=500${query}` });
  expect(response.statusCode).toBe(200);
  return (response.json() as { alerts: ApiAlert[] }).alerts;
}

function payload(alerts: Array<Partial<Alert> & { fingerprint: string }>): Payload {
  const template = FIRING.alerts[0] as Alert;
  return { ...FIRING, alerts: alerts.map((a) => ({ ...template, ...a })) };
}

describe.each(BACKENDS)('on $name', ({ newApp }) => {
  describe('POST /hooks/alertmanager', () => {
    let app: FastifyInstance;
    beforeAll(async () => {
      ({ app } = await newApp());
    });

    it('stores the alerts of a real Alertmanager payload, linked to their runbook', async () => {
      const response = await post(app, FIRING);
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({ status: 'stored', alerts: 2, new: 2, changed: 0, unchanged: 0 });
      const alerts = await stored(app);
      expect(alerts.map((a) => [a.fingerprint, a.status, a.runbook])).toEqual([
        ['28123d6c3eee5835', 'firing', { path: '/runbooks/checkout/availability-fast-burn' }],
        ['44d24678a52ef64a', 'firing', { path: '/runbooks/checkout/availability-fast-burn' }],
      ]);
    });

    it('stores a repeated delivery once and counts it', async () => {
      for (let i = 0; i < 3; i++)
        expect((await post(app, FIRING)).json()).toMatchObject({ new: 0, unchanged: 2 });
      const alerts = await stored(app);
      expect(alerts).toHaveLength(2);
      expect(alerts.map((a) => a.receiveCount)).toEqual([4, 4]);
    });

    it('shows resolve and re-fire on the alert page timeline', async () => {
      expect((await post(app, RESOLVED)).json()).toMatchObject({ new: 0, changed: 2 });
      expect((await stored(app, '&status=firing')).length).toBe(0);
      // The same occurrence (fingerprint, startsAt) firing again: Alertmanager resolved it too early.
      await post(app, { ...FIRING, alerts: [FIRING.alerts[0]] });
      const alerts = await stored(app);
      const refired = alerts.find((a) => a.fingerprint === '44d24678a52ef64a');
      expect(alerts.map((a) => a.status).sort()).toEqual(['firing', 'resolved']);
      const html = (await app.inject({ url: `/alerts/${refired?.id}` })).body;
      const timeline = html.slice(html.indexOf('id="timeline"'), html.indexOf('id="evidence"'));
      expect([...timeline.matchAll(/<\/time> ([a-z ]+)<\/li>/g)].map((m) => m[1])).toEqual([
        'started firing',
        'resolved',
        'fired again',
      ]);
    });

    it('answers 400 naming the field for bodies that can never succeed, and stores none of them', async () => {
      const before = await stored(app);
      // The parser's own words after `expected JSON` differ between Node versions.
      const notJson = [expect.stringMatching(/^body: expected JSON \(.*position 17/)];
      const cases: Array<[unknown, unknown[]]> = [
        ['{"version": "4", ', notJson],
        ['', [expect.stringMatching(/^body: expected JSON \(.*end of JSON input/)]],
        [{ ...FIRING, version: '3' }, ['version: expected "4", got "3"']],
        [
          payload([
            { fingerprint: 'good-one' },
            { fingerprint: 'bad-one', startsAt: 'yesterday' },
            { fingerprint: 'bad-two', labels: { alertname: 7 } as unknown as Record<string, string> },
          ]),
          [
            'alerts[1].startsAt: expected an RFC 3339 timestamp',
            'alerts[2].labels.alertname: expected a string, got a number',
          ],
        ],
      ];
      for (const [body, problems] of cases) {
        const response = await post(app, body);
        expect(response.statusCode, JSON.stringify(body).slice(0, 80)).toBe(400);
        expect(response.json()).toEqual({ error: 'invalid Alertmanager payload', problems });
      }
      const wrongType = await app.inject({
        method: 'POST',
        url: '/hooks/alertmanager',
        headers: { 'content-type': 'text/plain' },
        payload: JSON.stringify(FIRING),
      });
      expect(wrongType.statusCode).toBe(415);
      expect(wrongType.json().problems).toEqual(['content-type: expected application/json']);
      expect(await stored(app)).toEqual(before);
    });

    it('answers 413 above the body limit, with a JSON error, and stores nothing', async () => {
      const before = await stored(app);
      const huge = payload([
        { fingerprint: 'huge', annotations: { description: 'x'.repeat(9 * 1024 * 1024) } },
      ]);
      const response = await post(app, huge);
      expect(response.statusCode).toBe(413);
      expect(response.json()).toMatchObject({ error: 'payload too large' });
      expect(await stored(app)).toEqual(before);
    });

    it('counts requests by outcome, new alerts, firing alerts by severity and store writes', async () => {
      const metrics = (await app.inject({ url: '/metrics' })).body;
      expect(metrics).toMatch(/burnbook_webhook_requests_total\{outcome="stored"\} 6\n/);
      expect(metrics).toMatch(/burnbook_webhook_requests_total\{outcome="rejected"\} 6\n/);
      expect(metrics).toMatch(/burnbook_webhook_requests_total\{outcome="unauthorized"\} 0\n/);
      expect(metrics).toMatch(/burnbook_alerts_stored_total 2\n/);
      expect(metrics).toMatch(/burnbook_alerts_firing\{severity="page"\} 1\n/);
      expect(metrics).toMatch(/burnbook_store_write_seconds_count 6\n/);
    });
  });

  describe('a transient store failure', () => {
    it('answers 503 with Retry-After so Alertmanager retries, and stores the retry', async () => {
      const { app, block } = await newApp();
      expect((await post(app, FIRING)).statusCode).toBe(200);
      const unblock = await block();
      const blocked = await post(app, RESOLVED);
      await unblock();
      expect(blocked.statusCode).toBe(503);
      expect(blocked.headers['retry-after']).toBe('1');
      expect(blocked.json().problems[0]).toMatch(/locked|lock timeout/);
      expect((await post(app, RESOLVED)).statusCode).toBe(200);
      expect((await stored(app)).map((a) => a.status)).toEqual(['resolved', 'resolved']);
    }, 20_000);
  });

  describe('webhook credentials', () => {
    const basic = (pair: string) => `Basic ${Buffer.from(pair).toString('base64')}`;

    it('without configured credentials, anyone may post', async () => {
      const { app } = await newApp();
      expect((await post(app, FIRING)).statusCode).toBe(200);
    });

    it('takes the bearer token or the basic auth Alertmanager sends; anything else is a 401', async () => {
      const { app } = await newApp({
        webhookAuth: { bearerToken: 't0ken', basicAuth: { username: 'am', password: 'p:ss' } },
      });
      const cases: Array<[Record<string, string>, number]> = [
        [{}, 401],
        [{ authorization: 'Bearer wrong' }, 401],
        [{ authorization: 'Bearer t0ke' }, 401],
        [{ authorization: 'Bearer t0ken' }, 200],
        [{ authorization: 'bearer t0ken' }, 200],
        [{ authorization: basic('am:p:ss') }, 200],
        [{ authorization: basic('am:p:s') }, 401],
        [{ authorization: basic('xx:p:ss') }, 401],
        [{ authorization: 'Digest t0ken' }, 401],
        [{ authorization: 'garbage' }, 401],
      ];
      for (const [headers, status] of cases) {
        expect((await post(app, FIRING, headers)).statusCode, JSON.stringify(headers)).toBe(status);
      }
      const denied = await post(app, FIRING);
      expect(denied.headers['www-authenticate']).toEqual([
        'Bearer realm="burnbook"',
        'Basic realm="burnbook", charset="UTF-8"',
      ]);
      expect(denied.json()).toEqual({
        error: 'unauthorized',
        problems: [
          'credentials required: set http_config.authorization or http_config.basic_auth in the webhook_config',
        ],
      });
      const wrong = await post(app, FIRING, { authorization: 'Bearer nope' });
      expect(wrong.json().problems).toEqual(['the credentials do not match']);
      const metrics = (await app.inject({ url: '/metrics' })).body;
      expect(metrics).toMatch(/burnbook_webhook_requests_total\{outcome="unauthorized"\} 9\n/);
    });

    it('checks credentials before reading the body', async () => {
      const { app } = await newApp({ webhookAuth: { bearerToken: 't0ken' } });
      const response = await post(app, '{not json');
      expect(response.statusCode).toBe(401);
      expect(response.headers['www-authenticate']).toBe('Bearer realm="burnbook"');
    });
  });

  describe('browsing and the API', () => {
    let app: FastifyInstance;
    const T = Date.parse('2026-11-20T10:00:00Z');
    const at = (minutes: number) => new Date(T + minutes * 60_000).toISOString();

    beforeAll(async () => {
      ({ app } = await newApp());
      // Five firing and five resolved, alternating between two SLOs, with one alert that is not burnbook's.
      const alerts = Array.from({ length: 10 }, (_, i) => {
        const slo = i % 2 ? 'availability' : 'latency';
        return {
          fingerprint: `fp-${i}`,
          status: i < 5 ? 'firing' : 'resolved',
          startsAt: at(i),
          endsAt: i < 5 ? '0001-01-01T00:00:00Z' : at(i + 30),
          labels: {
            alertname: `${slo}-fast-burn`,
            slo_service: 'checkout',
            slo,
            slo_tier: 'fast',
            severity: i % 3 ? 'page' : 'ticket',
          },
          annotations: { summary: `alert ${i}` },
        };
      });
      alerts.push({
        fingerprint: 'platform',
        status: 'firing',
        startsAt: at(20),
        endsAt: '0001-01-01T00:00:00Z',
        labels: { alertname: 'tenant-incident', severity: 'critical' } as never,
        annotations: { summary: 'a tenant is down' },
      });
      expect((await post(app, payload(alerts))).statusCode).toBe(200);
    });

    it('lists firing alerts first, newest first, and pages through everything with the cursor', async () => {
      const seen: string[] = [];
      let url: string | null = '/api/v1/alerts?limit=4';
      while (url) {
        const body = (await app.inject({ url })).json() as { alerts: ApiAlert[]; next: string | null };
        expect(body.alerts.length).toBeLessThanOrEqual(4);
        seen.push(...body.alerts.map((a) => a.fingerprint));
        url = body.next;
      }
      expect(seen).toEqual([
        'platform',
        'fp-4',
        'fp-3',
        'fp-2',
        'fp-1',
        'fp-0',
        'fp-9',
        'fp-8',
        'fp-7',
        'fp-6',
        'fp-5',
      ]);
    });

    it('filters by service, SLO, severity and status, on the page and in the API', async () => {
      const fingerprints = async (query: string) => (await stored(app, query)).map((a) => a.fingerprint);
      expect(await fingerprints('&slo=availability&status=resolved')).toEqual(['fp-9', 'fp-7', 'fp-5']);
      expect(await fingerprints('&severity=ticket')).toEqual(['fp-3', 'fp-0', 'fp-9', 'fp-6']);
      expect(await fingerprints('&service=checkout&status=firing')).toEqual([
        'fp-4',
        'fp-3',
        'fp-2',
        'fp-1',
        'fp-0',
      ]);
      // An HTML form sends empty fields: they mean "any".
      expect(await fingerprints('&service=&slo=&severity=critical&status=')).toEqual(['platform']);

      const html = (await app.inject({ url: '/alerts?slo=availability&status=firing' })).body;
      expect(html.match(/<tr>\s*<td data-label="Alert">/g)).toHaveLength(2);
      expect(html).toContain('<option value="firing" selected>');
      expect(html).not.toContain('id="history"');
    });

    it('rejects a bad query with the parameter named', async () => {
      const api = await app.inject({ url: '/api/v1/alerts?status=burning&limit=9999' });
      expect(api.statusCode).toBe(400);
      expect(api.json().problems).toEqual([
        'status: expected "firing" or "resolved", got "burning"',
        'limit: expected at most 500',
      ]);
      const page = await app.inject({ url: '/alerts?before=nonsense' });
      expect(page.statusCode).toBe(400);
      expect(page.body).toContain('before: expected the cursor from a previous page');
    });

    it('links each alert: tier alerts to their runbook and SLO, others by name, unmatched shown as such', async () => {
      const html = (await app.inject({ url: '/alerts' })).body;
      expect(html).toContain('<a href="runbooks&#x2F;platform&#x2F;tenant-incident">');
      expect(html).toContain('<a href="slos&#x2F;checkout&#x2F;latency">checkout&#x2F;latency · fast</a>');
      const [platform] = await stored(app, '&alertname=tenant-incident');
      expect(platform?.runbook).toEqual({ path: '/runbooks/platform/tenant-incident' });

      await post(
        app,
        payload([{ fingerprint: 'stray', labels: { alertname: 'DiskFull' }, annotations: {} }]),
      );
      const stray = (await stored(app, '&alertname=DiskFull'))[0];
      expect(stray?.runbook).toBeNull();
      const page = (await app.inject({ url: `/alerts/${stray?.id}` })).body;
      expect(page).toContain('add a runbook_url annotation, or a runbook page named DiskFull.md');
      expect((await app.inject({ url: '/alerts/999999' })).statusCode).toBe(404);
      expect((await app.inject({ url: '/alerts/x1' })).statusCode).toBe(404);
    });

    it('shows the alerts on the runbook pages they link to', async () => {
      const tier = (await app.inject({ url: '/runbooks/checkout/availability-fast-burn' })).body;
      const section = tier.slice(tier.indexOf('<h2 id="alerts">'));
      expect(section.match(/alert 1|alert 3|alert 5|alert 7|alert 9/g)).toEqual([
        'alert 3',
        'alert 1',
        'alert 9',
        'alert 7',
        'alert 5',
      ]);
      expect(section).not.toContain('alert 2');
      const markdown = (await app.inject({ url: '/runbooks/platform/tenant-incident' })).body;
      expect(markdown.slice(markdown.indexOf('<h2 id="alerts">'))).toContain('a tenant is down');
    });
  });

  describe('hostile label and annotation values', () => {
    let app: FastifyInstance;
    let ids: number[];
    const SCRIPT = '<script>alert(1)</script>';
    const ATTRIBUTE = '" onmouseover="alert(2)';
    const TEMPLATE = '{{#labels}}{{/labels}}{{{payload}}}';

    beforeAll(async () => {
      ({ app } = await newApp());
      await post(
        app,
        payload([
          {
            fingerprint: 'hostile-tier',
            labels: {
              alertname: 'availability-fast-burn',
              slo_service: 'checkout',
              slo: 'availability',
              slo_tier: 'fast',
              severity: ATTRIBUTE,
              [SCRIPT]: SCRIPT,
            },
            annotations: { summary: SCRIPT, description: TEMPLATE, runbook_url: 'javascript:alert(3)' },
            generatorURL: 'javascript:alert(4)',
          },
          {
            fingerprint: 'hostile-markdown',
            labels: { alertname: 'tenant-incident', tenant: SCRIPT },
            annotations: { summary: `${ATTRIBUTE} ${TEMPLATE}`, runbook_url: ' JavaScript:alert(5)' },
          },
          {
            fingerprint: 'hostile-link',
            labels: { alertname: 'elsewhere' },
            annotations: { runbook_url: `https://wiki.example.com/x?a="><script>alert(6)</script>` },
          },
        ]),
      );
      ids = (await stored(app)).map((a) => a.id);
    });

    function expectInert(html: string) {
      expect(html).not.toMatch(/<script>alert/);
      expect(html).not.toContain('" onmouseover="');
      expect(html).not.toMatch(/href="\s*javascript:/i);
      expect(html).not.toMatch(/javascript:alert\([3-5]\)">/i);
    }

    it('are escaped on /alerts', async () => {
      const html = (await app.inject({ url: '/alerts' })).body;
      expectInert(html);
      expect(html).toContain('&lt;script&gt;alert(1)&lt;&#x2F;script&gt;');
      expect(html).toContain(
        'href="https:&#x2F;&#x2F;wiki.example.com&#x2F;x?a&#x3D;%22%3E%3Cscript%3Ealert(6)%3C&#x2F;script%3E"',
      );
    });

    it('are escaped on each alert page; javascript: URLs never become links', async () => {
      for (const id of ids) {
        const html = (await app.inject({ url: `/alerts/${id}` })).body;
        expectInert(html);
      }
      const tier = (await app.inject({ url: `/alerts/${ids.at(-1)}` })).body;
      expect(tier).toContain('{{#labels}}{{&#x2F;labels}}{{{payload}}}');
      expect(tier).toContain('<th><code>&lt;script&gt;alert(1)&lt;&#x2F;script&gt;</code></th>');
      expect(tier).not.toContain('Source: <a');
      expect(tier).toContain('javascript:alert(3)</td>');
    });

    it('are escaped on the runbook pages that list them', async () => {
      for (const path of [
        '/runbooks/checkout/availability-fast-burn',
        '/runbooks/platform/tenant-incident',
      ]) {
        const html = (await app.inject({ url: path })).body;
        const section = html.slice(html.indexOf('<h2 id="alerts">'));
        expect(section, path).toContain('&lt;script&gt;alert(1)&lt;&#x2F;script&gt;');
        expectInert(html);
      }
    });
  });

  describe('what Alertmanager may send that other senders rarely do', () => {
    let app: FastifyInstance;
    beforeAll(async () => {
      ({ app } = await newApp());
    });

    it('stores every alert of a group with labels and annotations named __proto__ or constructor, as data', async () => {
      const body = readFileSync('test/fixtures/alertmanager/proto-key.json', 'utf8');
      const response = await post(app, body);
      expect(response.statusCode, response.body).toBe(200);
      expect(response.json()).toMatchObject({ alerts: 3, new: 3 });
      // The API's JSON, read as text: parsing it into objects would hide a `__proto__` key again.
      const api = (await app.inject({ url: '/api/v1/alerts?alertname=GroupA' })).body;
      expect(api).toContain('"annotations":{"summary":"second","__proto__":"x"}');
      expect(api).toContain('"labels":{"alertname":"GroupA","instance":"c","constructor":"y"}');
      const second = (await stored(app)).find((a) => a.fingerprint === 'aaaa000000000002');
      const html = (await app.inject({ url: `/alerts/${second?.id}` })).body;
      expect(html).toContain('<th><code>__proto__</code></th><td class="prose">x</td>');
      expect(({} as Record<string, unknown>).x).toBeUndefined();
    });

    it('records how many alerts a delivery left out, and shows it on /alerts, in the API and in /metrics', async () => {
      const body = readFileSync('test/fixtures/alertmanager/truncated.json', 'utf8');
      const response = await post(app, body);
      expect(response.statusCode).toBe(200);
      const api = (await app.inject({ url: '/api/v1/alerts' })).json() as {
        truncatedDeliveries: Array<Record<string, unknown>>;
      };
      expect(api.truncatedDeliveries).toEqual([
        {
          receivedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
          groupKey: '{}/{slo_service=~".+"}:{slo="tenant-availability", slo_service="search"}',
          groupLabels: { slo_service: 'search', slo: 'tenant-availability' },
          receiver: 'burnbook',
          status: 'firing',
          alerts: 2,
          truncatedAlerts: 3,
        },
      ]);
      const html = (await app.inject({ url: '/alerts' })).body;
      const section = html.slice(html.indexOf('id="truncated"'), html.indexOf('</section>'));
      expect(section).toContain('Alerts Alertmanager left out');
      expect(section).toContain(
        '<code>{slo_service&#x3D;&quot;search&quot;, slo&#x3D;&quot;tenant-availability&quot;}</code>',
      );
      expect(section).toMatch(/data-label="Sent">2<\/td><td class="num" data-label="Left out">3<\/td>/);
      const metrics = (await app.inject({ url: '/metrics' })).body;
      expect(metrics).toMatch(/^burnbook_webhook_truncated_alerts_total 3$/m);
    });

    it('folds severities the SLOs do not use into `other`, in /metrics and in the class of the badges', async () => {
      const odd = ['critical', 'x" onmouseover="alert(1)', 'firing', 'banner failed'];
      const alerts = odd.map((severity, i) => ({
        fingerprint: `odd-${i}`,
        labels: { alertname: 'OddSeverity', severity },
      }));
      expect((await post(app, payload([...alerts, { fingerprint: 'paged' }]))).statusCode).toBe(200);
      const metrics = (await app.inject({ url: '/metrics' })).body;
      const firing = metrics.split('\n').filter((line) => line.startsWith('burnbook_alerts_firing{'));
      // page: the fixture's alert and search's two; other: the odd ones and those with no severity (GroupA).
      expect(firing).toEqual([
        'burnbook_alerts_firing{severity="page"} 3',
        'burnbook_alerts_firing{severity="ticket"} 0',
        'burnbook_alerts_firing{severity="other"} 7',
      ]);
      const html = (await app.inject({ url: '/alerts?alertname=OddSeverity' })).body;
      const classes = [...html.matchAll(/<span class="badge ([^"]*)">/g)].map((m) => m[1]);
      expect(new Set(classes)).toEqual(new Set(['firing', 'other']));
    });
  });
});

describe('on PostgreSQL, while the server is down (a failover)', () => {
  it('webhooks answer 503 with Retry-After and /healthz fails; once it is back both recover', async () => {
    const { app } = await (BACKENDS[1] as Backend).newApp();
    expect((await post(app, FIRING)).statusCode).toBe(200);
    await postgres.halt();
    try {
      const refused = await post(app, RESOLVED);
      expect(refused.statusCode).toBe(503);
      expect(refused.headers['retry-after']).toBe('1');
      expect(refused.json().problems[0]).toMatch(/ECONNREFUSED/);
      const health = await app.inject({ url: '/healthz' });
      expect(health.statusCode).toBe(503);
      expect(health.json().problems[0]).toMatch(
        /^cannot read postgres:\/\/postgres@127\.0\.0\.1:\d+\/\w+: .*ECONNREFUSED/,
      );
    } finally {
      await postgres.resume();
    }
    expect((await post(app, RESOLVED)).statusCode).toBe(200);
    expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
    expect((await stored(app)).map((a) => a.status)).toEqual(['resolved', 'resolved']);
  }, 60_000);
});
