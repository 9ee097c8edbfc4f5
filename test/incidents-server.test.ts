import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresStore } from '../src/alerts/store/postgres/store.ts';
import { buildApp } from '../src/server/app.ts';
import { loadSpecs } from '../src/spec/load.ts';
import { burnbook } from './support/cli.ts';
import { startPostgres } from './support/postgres.ts';

/**
 * /incidents, /incidents/:id, the postmortem draft and the alert page's link, on a real store fed through
 * the webhook with a real Alertmanager payload (test/fixtures/alertmanager), with Prometheus unreachable:
 * pages and drafts still answer, and say which numbers they could not get.
 */

const { slos } = loadSpecs(['slos']);
type Alert = Record<string, unknown> & {
  labels: Record<string, string>;
  annotations: Record<string, string>;
};
const FIRING = JSON.parse(readFileSync('test/fixtures/alertmanager/firing.json', 'utf8')) as {
  alerts: Alert[];
};
const template = FIRING.alerts[0] as Alert;
const HOSTILE = '<img src=x onerror=alert(1)>';

let app: FastifyInstance;
let dataDir: string;

// search/tenant-availability groups by tenant (slos/search.yaml): one incident per tenant.
const SEARCH = {
  alertname: 'tenant-availability-fast-burn',
  slo_service: 'search',
  slo: 'tenant-availability',
  team: 'discovery',
};

function alert(fingerprint: string, changes: Partial<Alert> & { labels?: Record<string, string> }): Alert {
  return {
    ...template,
    ...changes,
    fingerprint,
    labels: { ...template.labels, ...SEARCH, ...changes.labels },
  };
}

async function post(alerts: Alert[], to: FastifyInstance = app) {
  const response = await to.inject({
    method: 'POST',
    url: '/hooks/alertmanager',
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify({ ...FIRING, alerts }),
  });
  expect(response.statusCode).toBe(200);
}

async function alertIds(from: FastifyInstance = app): Promise<Record<string, number>> {
  const body = (await from.inject({ url: '/api/v1/alerts?limit=500' })).json() as {
    alerts: Array<{ id: number; fingerprint: string; startsAt: string }>;
  };
  return Object.fromEntries(body.alerts.map((a) => [`${a.fingerprint}@${a.startsAt}`, a.id]));
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'burnbook-incidents-'));
  app = await buildApp({
    slos,
    externalUrl: 'http://127.0.0.1:8080',
    runbooksDir: 'runbooks',
    dataDir,
    // Nothing listens on port 9: every query fails at once with "unreachable".
    prometheusUrl: 'http://127.0.0.1:9',
    evaluation: null,
  });
  // One burn of tenant acme: fast tier, then slow tier overlapping, resolved; a re-fire 10 minutes later.
  await post([
    alert('fast-acme', { startsAt: '2026-11-22T10:00:00Z' }),
    alert('slow-acme', {
      startsAt: '2026-11-22T10:05:00Z',
      labels: { alertname: 'tenant-availability-slow-burn', slo_tier: 'slow' },
    }),
    // Another tenant: another incident of the same SLO.
    alert('fast-globex', { startsAt: '2026-11-22T10:01:00Z', labels: { tenant: 'globex' } }),
    // Not an SLO alert, linked to a runbook by its URL, with a name that must stay text.
    alert('stray', {
      startsAt: '2026-11-22T09:00:00Z',
      labels: { alertname: HOSTILE, slo: '', slo_service: '', slo_tier: '' },
      annotations: { runbook_url: 'https://wiki.example.com/disk' },
    }),
  ]);
  const resolved = (a: Alert, at: string) => ({ ...a, status: 'resolved', endsAt: at });
  await post([
    resolved(alert('fast-acme', { startsAt: '2026-11-22T10:00:00Z' }), '2026-11-22T10:20:00Z'),
    resolved(
      alert('slow-acme', {
        startsAt: '2026-11-22T10:05:00Z',
        labels: { alertname: 'tenant-availability-slow-burn', slo_tier: 'slow' },
      }),
      '2026-11-22T10:40:00Z',
    ),
  ]);
  await post([alert('fast-acme', { startsAt: '2026-11-22T10:50:00Z' })]);
});

afterAll(async () => {
  await app?.close();
});

describe('incidents from the alert history', () => {
  it('/incidents lists them, open first, newest first, and filters by service and SLO', async () => {
    const ids = await alertIds();
    const html = (await app.inject({ url: '/incidents' })).body;
    const order = [...html.matchAll(/<a href="incidents&#x2F;(\d+)">#\d+ ([^<]*)<\/a>/g)].map((m) => [
      Number(m[1]),
      m[2],
    ]);
    // Both tenants' incidents are open (acme's fast tier fired again): the newer start first.
    expect(order).toEqual([
      [
        ids['fast-globex@2026-11-22T10:01:00Z'],
        'search&#x2F;tenant-availability {tenant&#x3D;&quot;globex&quot;}',
      ],
      [
        ids['fast-acme@2026-11-22T10:00:00Z'],
        'search&#x2F;tenant-availability {tenant&#x3D;&quot;acme&quot;}',
      ],
      [ids['stray@2026-11-22T09:00:00Z'], '&lt;img src&#x3D;x onerror&#x3D;alert(1)&gt;'],
    ]);
    expect(html).not.toContain(HOSTILE);
    const filtered = (await app.inject({ url: '/incidents?service=search&slo=tenant-availability' })).body;
    expect(filtered).toContain('globex');
    expect(filtered).not.toContain('onerror');
    expect((await app.inject({ url: '/incidents?service=nope' })).body).toContain(
      'No incidents match these filters.',
    );
  });

  it('an incident page has the timeline of every tier, says what Prometheus could not give, and escapes', async () => {
    const ids = await alertIds();
    const id = ids['fast-acme@2026-11-22T10:00:00Z'];
    const response = await app.inject({ url: `/incidents/${id}` });
    expect(response.statusCode).toBe(200);
    const html = response.body;
    expect(html).toContain('<span class="badge firing">open</span>');
    const timeline = html.slice(html.indexOf('<ol class="timeline">'));
    const whats = [...timeline.matchAll(/<time datetime="([^"]*)">[^<]*<\/time> <a [^>]*>([^<]*)<\/a>/g)].map(
      (m) => `${m[1]} ${m[2]}`,
    );
    // Starts and ends as Prometheus gave them; the first page as burnbook received it (the test's now).
    expect(whats.slice(0, 5)).toEqual([
      '2026-11-22T10:00:00Z fast tier (page) started',
      '2026-11-22T10:05:00Z slow tier (page) started',
      '2026-11-22T10:20:00Z fast tier (page) resolved',
      '2026-11-22T10:40:00Z slow tier (page) resolved',
      '2026-11-22T10:50:00Z fast tier (page) started',
    ]);
    expect(whats[5]).toMatch(/ burnbook received the first page: fast tier \(page\)$/);
    expect(html).toContain(
      'Could not get burn start, recovery and impact: Prometheus at http:&#x2F;&#x2F;127.0.0.1:9',
    );
    expect(html).toContain('unreachable');

    // A later alert of the incident leads to it.
    const later = await app.inject({ url: `/incidents/${ids['slow-acme@2026-11-22T10:05:00Z']}` });
    expect(later.statusCode).toBe(302);
    expect(later.headers.location).toBe(`${id}`);
    expect((await app.inject({ url: '/incidents/999999' })).statusCode).toBe(404);
    expect((await app.inject({ url: '/incidents/x' })).statusCode).toBe(404);

    const stray = (await app.inject({ url: `/incidents/${ids['stray@2026-11-22T09:00:00Z']}` })).body;
    expect(stray).not.toContain(HOSTILE);
    expect(stray).toContain('&lt;img src&#x3D;x onerror&#x3D;alert(1)&gt;');
  });

  it('the alert page links its incident', async () => {
    const ids = await alertIds();
    const html = (await app.inject({ url: `/alerts/${ids['slow-acme@2026-11-22T10:05:00Z']}` })).body;
    expect(html).toContain(
      `Incident: <a href="..&#x2F;incidents&#x2F;${ids['fast-acme@2026-11-22T10:00:00Z']}" data-incident>`,
    );
  });

  it('the postmortem draft is markdown with the timeline, prompts and the numbers it could not get', async () => {
    const ids = await alertIds();
    const id = ids['fast-acme@2026-11-22T10:00:00Z'];
    const response = await app.inject({ url: `/incidents/${id}/postmortem.md` });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/markdown; charset=utf-8');
    const draft = response.body;
    expect(draft).toMatch(
      /^# Postmortem: search\/tenant-availability \{tenant="acme"\}, 2026-11-22T10:00:00Z/,
    );
    expect(draft).toContain('| 2026-11-22T10:40:00Z | slow tier (page) resolved |');
    expect(draft).toContain('## Root cause\n\n> Only people know this');
    expect(draft).toContain(
      '- Could not get burn start, recovery and impact: Prometheus at http://127.0.0.1:9',
    );
    expect(draft).toContain(`(http://127.0.0.1:8080/incidents/${id})`);
    const stray = (await app.inject({ url: `/incidents/${ids['stray@2026-11-22T09:00:00Z']}/postmortem.md` }))
      .body;
    expect(stray).toContain('\\<img src=x onerror=alert(1)\\>');
    expect(stray).not.toContain(HOSTILE);
  });
});

describe('burnbook postmortem <incident>', () => {
  const cli = (...args: string[]) => burnbook(['postmortem', ...args, '--data-dir', dataDir]);

  it('prints the draft from the store serve is writing, and says on stderr what it could not get', async () => {
    const ids = await alertIds();
    const id = ids['fast-acme@2026-11-22T10:00:00Z'];
    const run = cli(String(id), '--prometheus-url', 'http://127.0.0.1:9');
    expect(run.stderr).toContain(
      'Could not get burn start, recovery and impact: Prometheus at http://127.0.0.1:9',
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^# Postmortem: search\/tenant-availability \{tenant="acme"\}/);
    expect(run.stdout).toContain('| 2026-11-22T10:05:00Z | slow tier (page) started |');
    // The same draft the server serves, but for the time it was made.
    const served = (await app.inject({ url: `/incidents/${id}/postmortem.md` })).body;
    const timeless = (text: string) => text.replace(/, 20\d\d-\d\d-\d\dT[\d:]+Z\. The numbers/, '');
    expect(timeless(run.stdout)).toBe(timeless(served));

    const later = cli(String(ids['slow-acme@2026-11-22T10:05:00Z']));
    expect(later.code).toBe(0);
    expect(later.stderr).toContain(`is part of incident ${id}`);
    expect(later.stderr).toContain('no --prometheus-url');
  });

  it("takes a team's own template from --runbooks", async () => {
    const ids = await alertIds();
    const runbooks = mkdtempSync(join(tmpdir(), 'burnbook-postmortem-templates-'));
    mkdirSync(join(runbooks, 'templates'));
    writeFileSync(
      join(runbooks, 'templates', 'postmortem.md.mustache'),
      'Our format: {{title}} ({{status}})\n',
    );
    const run = cli(String(ids['fast-globex@2026-11-22T10:01:00Z']), '--runbooks', runbooks);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('Our format: search/tenant-availability {tenant="globex"} (open)\n');
  });

  it('exit codes: 1 no such incident, 2 not an id, 3 no store; --help names the argument', () => {
    const none = cli('999999');
    expect([none.code, none.stderr.trim()]).toEqual([
      1,
      `No incident 999999 in SQLite in ${dataDir}: /incidents lists them.`,
    ]);
    expect(cli('latest').code).toBe(2);
    const nowhere = burnbook(['postmortem', '1', '--data-dir', join(dataDir, 'nope')]);
    expect(nowhere.code).toBe(3);
    expect(nowhere.stderr).toContain('no alert store at');
    const help = burnbook(['postmortem', '--help']);
    expect(help.code).toBe(0);
    for (const text of [
      '<incident>',
      '--data-dir',
      '--prometheus-url',
      '--alertmanager-url',
      '--runbooks',
      '--external-url',
    ]) {
      expect(help.stdout).toContain(text);
    }
  });
});

describe('on PostgreSQL', () => {
  it('the same incidents from the same alerts, and burnbook postmortem --store reads them', async () => {
    const postgres = await startPostgres();
    const url = await postgres.createDatabase();
    const pgApp = await buildApp({
      slos,
      externalUrl: 'http://127.0.0.1:8080',
      runbooksDir: 'runbooks',
      dataDir: mkdtempSync(join(tmpdir(), 'burnbook-incidents-pg-')),
      openStore: (hooks) => openPostgresStore({ url, ...hooks }),
      evaluation: null,
    });
    try {
      await post([alert('fast-acme', { startsAt: '2026-11-22T10:00:00Z' })], pgApp);
      await post(
        [
          alert('slow-acme', {
            startsAt: '2026-11-22T10:05:00Z',
            labels: { alertname: 'tenant-availability-slow-burn', slo_tier: 'slow' },
          }),
        ],
        pgApp,
      );
      const ids = await alertIds(pgApp);
      const id = ids['fast-acme@2026-11-22T10:00:00Z'];
      const page = (await pgApp.inject({ url: `/incidents/${id}` })).body;
      expect(page).toContain('slow tier (page) started');
      const run = burnbook(['postmortem', String(id), '--store', url]);
      expect(run.stderr).toContain('no --prometheus-url');
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('| 2026-11-22T10:05:00Z | slow tier (page) started |');
    } finally {
      await pgApp.close();
      await postgres.stop();
    }
  }, 120_000);
});
