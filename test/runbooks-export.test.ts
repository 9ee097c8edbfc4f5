import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadSpecs } from '../src/spec/load.ts';

const { slos } = loadSpecs(['slos']);
let out: string;
let run: ReturnType<typeof spawnSync>;

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? filesUnder(full) : [full];
  });
}

function decode(text: string): string {
  return text
    .replace(/&#x2F;/g, '/')
    .replace(/&#x3D;/g, '=')
    .replace(/&amp;/g, '&');
}

/** Every link in a file that points into the export: relative, without a scheme. */
function localLinks(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const links = file.endsWith('.html')
    ? [...text.matchAll(/(?:href|action)="([^"]*)"/g)].map((m) => decode(m[1] ?? ''))
    : [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1] ?? '');
  return links.filter((l) => !/^[a-z][a-z0-9+.-]*:/i.test(l) && !l.startsWith('#'));
}

beforeAll(() => {
  out = mkdtempSync(join(tmpdir(), 'burnbook-export-'));
  run = spawnSync(
    process.execPath,
    [
      resolve('bin/burnbook.js'),
      'runbooks',
      'build',
      'slos/',
      '--out',
      out,
      '--prometheus-url',
      'http://prom.test:9090',
    ],
    { encoding: 'utf8', timeout: 120_000, env: { ...process.env, NO_COLOR: '1' } },
  );
});

describe('burnbook runbooks build', () => {
  it('exits 0 and says where to look', () => {
    expect(run.status, String(run.stderr)).toBe(0);
    expect(run.stdout).toContain(`open ${join(out, 'index.html')}`);
  });

  it('writes every tier page as HTML and markdown, the markdown pages, the SLO pages and the indexes', () => {
    const files = new Set(filesUnder(out).map((f) => relative(out, f)));
    expect(files).toContain('index.html');
    expect(files).toContain(join('runbooks', 'index.html'));
    expect(files).toContain(join('runbooks', 'platform', 'tenant-incident.html'));
    expect(files).toContain(join('runbooks', 'platform', 'tenant-incident.md'));
    for (const slo of slos) {
      expect(files).toContain(join('slos', slo.service, `${slo.name}.html`));
      for (const tier of slo.alerting.tiers) {
        for (const ext of ['html', 'md']) {
          expect(files).toContain(
            join('runbooks', slo.service, `${slo.alerting.name}-${tier.name}-burn.${ext}`),
          );
        }
      }
    }
    expect(readFileSync(join(out, 'runbooks', 'platform', 'tenant-incident.md'), 'utf8')).toBe(
      readFileSync('runbooks/platform/tenant-incident.md', 'utf8'),
    );
  });

  it('links relatively, and every link leads to a file of the export', () => {
    let checked = 0;
    for (const file of filesUnder(out)) {
      for (const link of localLinks(file)) {
        const target = resolve(dirname(file), decodeURIComponent(link.replace(/[?#].*$/, '')));
        expect(existsSync(target) && statSync(target).isFile(), `${relative(out, file)} → ${link}`).toBe(
          true,
        );
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(200);
  });

  it('has the numbers and queries, Prometheus links, and no server-only parts', () => {
    const html = readFileSync(join(out, 'runbooks', 'checkout', 'availability-fast-burn.html'), 'utf8');
    expect(html).toContain('<dt>Threshold (error ratio)</dt><dd>0.072<small>= 14.4 × 0.005</small>');
    expect(html).toContain('http:&#x2F;&#x2F;prom.test:9090&#x2F;graph?g0.expr&#x3D;');
    expect(html).not.toContain('href="../../alerts"');
    expect(html).not.toContain('<h2 id="alerts">');
    const md = readFileSync(join(out, 'runbooks', 'checkout', 'availability-fast-burn.md'), 'utf8');
    expect(md).toContain('| Threshold (error ratio) | 0.072 = 14.4 × 0.005 |');
    expect(md).toContain('```promql\n(sum(rate(http_requests_total{job="checkout", code=~"5.."}[5m]))');
    expect(md).toContain('## Root-cause hypotheses\n\n| Hypothesis | How to check | Seen before |');
    expect(md).toContain('[availability-slow-burn](availability-slow-burn.md)');
  });
});
