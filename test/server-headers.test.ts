import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSpecs } from '../src/spec/load.ts';
import { testApp } from './support/app.ts';

/**
 * The headers every answer carries, whatever produced it: pages, JSON, metrics, assets, redirects and
 * every kind of error. Browsers take them over anything in the body.
 */

const { slos } = loadSpecs(['slos']);
const FIRING = readFileSync('test/fixtures/alertmanager/firing.json', 'utf8');
const TOKEN = 'headers-token';

let app: FastifyInstance;
beforeAll(async () => {
  app = await testApp({ slos, webhookAuth: { bearerToken: TOKEN } });
  const stored = await app.inject({
    method: 'POST',
    url: '/hooks/alertmanager',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    payload: FIRING,
  });
  expect(stored.statusCode).toBe(200);
});
afterAll(async () => {
  await app?.close();
});

const webhook = (payload: string, headers: Record<string, string> = {}): InjectOptions => ({
  method: 'POST',
  url: '/hooks/alertmanager',
  headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}`, ...headers },
  payload,
});

const ANSWERS: Array<[string, InjectOptions, number]> = [
  ['the index', { url: '/' }, 200],
  ['an SLO page', { url: '/slos/checkout/availability' }, 200],
  ['a runbook page', { url: '/runbooks/checkout/availability-fast-burn' }, 200],
  ['the alert list', { url: '/alerts' }, 200],
  ['an alert', { url: '/alerts/1' }, 200],
  ['the alerts API', { url: '/api/v1/alerts' }, 200],
  ['the SLO API', { url: '/api/v1/slos' }, 200],
  ['health', { url: '/healthz' }, 200],
  ['metrics', { url: '/metrics' }, 200],
  ['a redirect', { url: '/runbooks/checkout/availability-fast-burn.md' }, 301],
  ['a missing page', { url: '/nowhere' }, 404],
  ['a missing API path', { url: '/api/v1/nowhere' }, 404],
  ['a bad query', { url: '/api/v1/alerts?status=maybe' }, 400],
  ['a stored delivery', webhook(FIRING), 200],
  ['a body that is no JSON', webhook('{'), 400],
  ['a body of another type', webhook(FIRING, { 'content-type': 'text/plain' }), 415],
  ['a body too large', webhook(`"${'x'.repeat(9 * 1024 * 1024)}"`), 413],
  ['no credentials', webhook(FIRING, { authorization: '' }), 401],
];

describe('headers on every answer', () => {
  it.each(ANSWERS)('%s: nosniff and a Content-Security-Policy', async (_, request, status) => {
    const response = await app.inject(request);
    expect(response.statusCode).toBe(status);
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    const policy = String(response.headers['content-security-policy']);
    expect(policy).toMatch(/^default-src 'none'; /);
    expect(policy).toContain("frame-ancestors 'none'");
  });

  it("a page's policy allows its own scripts, by hash, and the meta tag says the same", async () => {
    for (const url of ['/', '/alerts', '/runbooks/checkout/availability-fast-burn', '/nowhere']) {
      const response = await app.inject({ url });
      const html = response.body;
      const meta = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html)?.[1];
      expect(response.headers['content-security-policy']).toBe(`${meta}; frame-ancestors 'none'`);
      const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1] ?? '');
      expect(scripts.length).toBeGreaterThan(0);
      for (const script of scripts) {
        const hash = createHash('sha256').update(script).digest('base64');
        expect(meta).toContain(`'sha256-${hash}'`);
      }
    }
  });

  it('alert pages and the alerts API are never cached; runbook pages may be', async () => {
    for (const url of ['/alerts', '/alerts/1', '/api/v1/alerts']) {
      expect((await app.inject({ url })).headers['cache-control'], url).toBe('no-store');
    }
    expect((await app.inject({ url: '/runbooks' })).headers['cache-control']).toBeUndefined();
  });
});
