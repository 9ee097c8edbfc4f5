import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { escapeMarkdown, markdownToHtml, rewriteLink } from '../src/runbooks/markdown.ts';
import { parseSections } from '../src/runbooks/sections.ts';
import { buildApp } from '../src/server/app.ts';
import { loadSpecText } from '../src/spec/load.ts';

const HOSTILE = '<script>alert(1)</script>';

describe('runbook file sections', () => {
  it('splits on ## headings, knows the usual spellings, keeps the rest', () => {
    const sections = parseSections(
      [
        '# Checkout availability',
        'Intro text.',
        '## Symptoms users see',
        '- slow pages',
        '## Mitigation',
        '```sh',
        '## not a heading: inside a code block',
        '```',
        '## Root cause hypotheses',
        '| a | b |',
        '|---|---|',
        '| 1 | 2 |',
        '## Contacts',
        'Call Bob.',
        '## When to escalate',
        'After 30 minutes.',
      ].join('\n'),
    );
    expect(sections.title).toBe('Checkout availability');
    expect(sections.intro).toBe('Intro text.');
    expect(sections.known.symptoms).toBe('- slow pages');
    expect(sections.known.mitigation).toContain('## not a heading: inside a code block');
    expect(sections.known.hypotheses).toContain('| 1 | 2 |');
    expect(sections.known.escalation).toBe('After 30 minutes.');
    expect(sections.known.postmortem).toBeUndefined();
    expect(sections.extra).toEqual([{ title: 'Contacts', markdown: 'Call Bob.' }]);
  });

  it('renders tables, escapes raw HTML, refuses javascript: links', () => {
    const html = markdownToHtml(
      `| h | i |\n|---|---|\n| 1 | 2 |\n\n${HOSTILE}\n\n<img src=x onerror=alert(1)>\n\n[x](javascript:alert(1))`,
      { sourceDir: '/runbooks/checkout/', to: (p) => p },
    );
    expect(html).toContain('<table>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toMatch(/<script|<img/);
    expect(html).not.toContain('href="javascript:');
  });

  it("turns links to other runbooks' .md files into links to their pages", () => {
    const links = { sourceDir: '/runbooks/checkout/', to: (p: string) => `TO${p}` };
    expect(rewriteLink('../platform/tenant-incident.md#contain', links)).toBe(
      'TO/runbooks/platform/tenant-incident#contain',
    );
    expect(rewriteLink('https://example.com/x.md', links)).toBe('https://example.com/x.md');
    expect(rewriteLink('/abs/x.md', links)).toBe('/abs/x.md');
    expect(rewriteLink('diagram.png', links)).toBe('diagram.png');
  });

  it('escapes markdown prose so outside text cannot become HTML or markup', () => {
    expect(escapeMarkdown(HOSTILE)).toBe('&lt;script&gt;alert\\(1\\)&lt;/script&gt;');
    expect(escapeMarkdown('[x](javascript:y) *a* | b')).toBe('\\[x\\]\\(javascript:y\\) \\*a\\* \\| b');
    expect(escapeMarkdown(14.4)).toBe('14.4');
  });
});

describe('a runbook page with hostile input', () => {
  let app: FastifyInstance;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'burnbook-hostile-'));
    const runbooksDir = join(dir, 'runbooks');
    mkdirSync(join(runbooksDir, 'evil'), { recursive: true });
    mkdirSync(join(runbooksDir, 'ops'), { recursive: true });
    const sloRunbook = join(runbooksDir, 'evil', 'api.md');
    writeFileSync(
      sloRunbook,
      `# Evil\n\n## Symptoms\n\n${HOSTILE} and <b onmouseover="x">bold</b>\n\n## Mitigation steps\n\n[click](javascript:alert(1))\n`,
    );
    writeFileSync(
      join(runbooksDir, 'ops', 'deploys.md'),
      `# Deploy monitoring\n\n${HOSTILE}\n\n## Watch\n\nGraphs.\n`,
    );
    const spec = [
      'apiVersion: burnbook/v1',
      'service: evil',
      `labels: {team: 'a"b<c>'}`,
      'slos:',
      '  - name: api',
      `    description: '${HOSTILE} "quoted" & <b>bold</b>'`,
      '    objective: 99.9',
      '    sli:',
      '      ratio:',
      `        errors: 'http_requests_total{job="a\\"b</script>",code=~"5.."}'`,
      `        total: 'http_requests_total{job="a\\"b</script>"}'`,
      '    breakdown: [route]',
      `    runbook: ${JSON.stringify(sloRunbook)}`,
    ].join('\n');
    const { slos, errors } = loadSpecText(spec, 'evil.yaml', { runbooksDir });
    expect(errors).toEqual([]);
    app = await buildApp({
      slos,
      externalUrl: 'http://burnbook.test',
      runbooksDir,
      dataDir: join(dir, 'data'),
    });
  });

  afterAll(async () => {
    await app?.close();
  });

  // burnbook's own page script is the only script element; nothing from outside adds one.
  function expectOnlyOwnScript(html: string) {
    expect(html.match(/<script/g)).toHaveLength(1);
    expect(html).not.toMatch(/<b[ >]|<img|onmouseover="|href="javascript:/);
  }

  it('escapes the spec description, labels, queries and the markdown on the tier page', async () => {
    const response = await app.inject({ url: '/runbooks/evil/api-fast-burn' });
    expect(response.statusCode).toBe(200);
    const html = response.body;
    expectOnlyOwnScript(html);
    expect(html).toContain(
      '&lt;script&gt;alert(1)&lt;&#x2F;script&gt; &quot;quoted&quot; &amp; &lt;b&gt;bold&lt;&#x2F;b&gt;',
    );
    // markdown-it's escaping of the runbook file's raw HTML.
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('job&#x3D;&quot;a\\&quot;b&lt;&#x2F;script&gt;&quot;');
    expect(html).toContain('Content-Security-Policy');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
  });

  it('escapes the SLO page, the index and the runbook list', async () => {
    for (const url of ['/', '/slos/evil/api', '/runbooks?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E']) {
      const response = await app.inject({ url });
      expect(response.statusCode, url).toBe(200);
      expectOnlyOwnScript(response.body);
    }
  });

  it('renders a markdown page that is not an SLO runbook, escaped, and lists it', async () => {
    const page = await app.inject({ url: '/runbooks/ops/deploys' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<h1>Deploy monitoring</h1>');
    expect(page.body).toContain('<h2>Watch</h2>');
    expectOnlyOwnScript(page.body);
    const list = await app.inject({ url: '/runbooks' });
    expect(list.body).toContain('>Deploy monitoring</a>');
    // The SLO's own runbook file is part of its tier pages, not a page of its own.
    expect(list.body).not.toContain('/runbooks/evil/api"');
    expect((await app.inject({ url: '/runbooks/evil/api' })).statusCode).toBe(404);
  });

  it('escapes the path on a 404', async () => {
    const response = await app.inject({ url: '/runbooks/%3Cscript%3Ealert(1)%3C%2Fscript%3E' });
    expect(response.statusCode).toBe(404);
    expectOnlyOwnScript(response.body);
  });

  it('shows defaults for sections the runbook file lacks, and marks them', async () => {
    const html = (await app.inject({ url: '/runbooks/evil/api-slow-burn' })).body;
    expect(html).toMatch(/<h2 id="symptoms">Symptoms<\/h2>/);
    expect(html).toMatch(
      /<h2 id="escalation">When to escalate<span class="default-tag">default<\/span><\/h2>/,
    );
    expect(html).toMatch(
      /<h2 id="hypotheses">Root-cause hypotheses<span class="default-tag">default<\/span>/,
    );
    expect(html).toContain('<table>');
    expect(readFileSync(join(dir, 'runbooks', 'evil', 'api.md'), 'utf8')).not.toContain('escalate');
  });
});
