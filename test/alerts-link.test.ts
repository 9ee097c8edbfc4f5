import { describe, expect, it } from 'vitest';
import { type LinkTargets, linkAlert, runbookPathOf } from '../src/alerts/link.ts';
import { SiteUrls } from '../src/conventions/urls.ts';
import { catalogue } from '../src/runbooks/pages.ts';
import { readMarkdownFiles } from '../src/runbooks/sources.ts';
import { loadSpecs } from '../src/spec/load.ts';

const { slos } = loadSpecs(['slos']);
const pages = catalogue(slos, readMarkdownFiles('runbooks', slos)).pages;
const targets: LinkTargets = { slos, pages, urls: new SiteUrls('https://ops.example.com/burnbook/') };

const link = (labels: Record<string, string>, annotations: Record<string, string> = {}) =>
  linkAlert({ labels, annotations }, targets);

const burn = {
  alertname: 'availability-fast-burn',
  slo_service: 'checkout',
  slo: 'availability',
  slo_tier: 'fast',
};

describe('linking an alert to its runbook', () => {
  it('links a burnbook alert by its SLO labels to the tier page and the SLO page, whatever its runbook_url', () => {
    const linked = link(burn, {
      runbook_url: 'http://old-host:8080/runbooks/checkout/availability-fast-burn',
    });
    expect(linked).toMatchObject({
      kind: 'tier',
      runbookPath: '/runbooks/checkout/availability-fast-burn',
      sloPath: '/slos/checkout/availability',
    });
  });

  it("links an absent-SLI alert (slo_tier=sli-absent) to its own page and its SLO's page", () => {
    const absent = { ...burn, alertname: 'availability-sli-absent', slo_tier: 'sli-absent' };
    expect(link(absent)).toMatchObject({
      kind: 'absent',
      runbookPath: '/runbooks/checkout/availability-sli-absent',
      sloPath: '/slos/checkout/availability',
    });
    // By its runbook_url alone too.
    expect(
      link(
        { alertname: 'X' },
        { runbook_url: 'https://ops.example.com/burnbook/runbooks/checkout/availability-sli-absent' },
      ),
    ).toMatchObject({ kind: 'absent', sloPath: '/slos/checkout/availability' });
  });

  it('falls back to runbook_url when the SLO labels name no SLO or tier this burnbook knows', () => {
    expect(link({ ...burn, slo_tier: 'medium' })).toEqual({ kind: 'none' });
    expect(link({ ...burn, slo: 'gone' }, { runbook_url: 'https://wiki.example.com/gone' })).toEqual({
      kind: 'external',
      url: 'https://wiki.example.com/gone',
    });
  });

  it('takes a runbook_url under the external URL (path prefix included) as the page it names', () => {
    const base = 'https://ops.example.com/burnbook';
    expect(link({ alertname: 'X' }, { runbook_url: `${base}/runbooks/platform/tenant-incident` })).toEqual({
      kind: 'runbook',
      runbookPath: '/runbooks/platform/tenant-incident',
    });
    // Pasted from the repository or an export, or relative to burnbook.
    for (const url of [
      `${base}/runbooks/platform/tenant-incident.md`,
      `${base}/runbooks/platform/tenant-incident/`,
      '/burnbook/runbooks/platform/tenant-incident',
    ]) {
      expect(runbookPathOf(link({ alertname: 'X' }, { runbook_url: url })), url).toBe(
        '/runbooks/platform/tenant-incident',
      );
    }
    // A tier page by URL alone is still the tier: its SLO page comes with it.
    expect(
      link({ alertname: 'X' }, { runbook_url: `${base}/runbooks/checkout/availability-slow-burn` }),
    ).toMatchObject({ kind: 'tier', sloPath: '/slos/checkout/availability' });
  });

  it('keeps other http(s) runbook URLs as external links, including ones on this host outside burnbook', () => {
    for (const url of [
      'https://wiki.example.com/runbooks/disk-full',
      'https://ops.example.com/other/runbooks/platform/tenant-incident',
      'https://ops.example.com/burnbook/runbooks/no/such-page',
    ]) {
      expect(link({ alertname: 'X' }, { runbook_url: url })).toEqual({ kind: 'external', url });
    }
  });

  it('never links a javascript:, data: or unparsable runbook_url, and falls back to the alert name', () => {
    for (const url of ['javascript:alert(1)', ' JaVaScRiPt:alert(1)', 'data:text/html,<b>', 'http://[::1']) {
      expect(link({ alertname: 'X' }, { runbook_url: url }), url).toEqual({ kind: 'none' });
      expect(link({ alertname: 'tenant-incident' }, { runbook_url: url })).toEqual({
        kind: 'runbook',
        runbookPath: '/runbooks/platform/tenant-incident',
      });
    }
  });

  it('links by alertname to a markdown page of that name, but never to a tier page by name alone', () => {
    expect(runbookPathOf(link({ alertname: 'tenant-incident' }))).toBe('/runbooks/platform/tenant-incident');
    expect(link({ alertname: 'availability-fast-burn' })).toEqual({ kind: 'none' });
    expect(link({})).toEqual({ kind: 'none' });
  });
});
