import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseAlertmanagerPayload } from '../src/alerts/payload.ts';

const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(`fixtures/alertmanager/${name}`, import.meta.url), 'utf8'));

// Only `alerts[n]` of a fixture body, for tests that break one field of one alert.
type RawAlert = Record<string, unknown>;
const alertsOf = (body: Record<string, unknown>) => body.alerts as RawAlert[];

function parsed(body: unknown) {
  const result = parseAlertmanagerPayload(body);
  if (!result.ok) throw new Error(`expected a valid payload, got:\n${result.problems.join('\n')}`);
  return result.payload;
}

function problems(body: unknown): string[] {
  const result = parseAlertmanagerPayload(body);
  if (result.ok) throw new Error('expected problems, the payload is valid');
  return result.problems;
}

function firingWith(change: (body: Record<string, unknown>) => void): Record<string, unknown> {
  const body = fixture('firing.json');
  change(body);
  return body;
}

describe('recorded Alertmanager payloads', () => {
  it('parses the firing body: zero endsAt is no end, the receiver stays regex-escaped', () => {
    const raw = fixture('firing.json');
    const payload = parsed(raw);
    expect(payload.version).toBe('4');
    expect(payload.status).toBe('firing');
    expect(payload.receiver).toBe('burnbook\\.hooks');
    expect(payload.truncatedAlerts).toBe(0);
    expect(payload.alerts).toHaveLength(2);
    for (const [i, alert] of payload.alerts.entries()) {
      const rawAlert = alertsOf(raw)[i] as RawAlert;
      expect(alert.status).toBe('firing');
      expect(alert.endsAt).toBeNull();
      expect(alert.startsAt).toBe(Date.parse(rawAlert.startsAt as string));
      expect(alert.fingerprint).toMatch(/^[0-9a-f]{16}$/);
      expect(alert.labels).toMatchObject({ slo_service: 'checkout', slo: 'availability', slo_tier: 'fast' });
      expect(alert.annotations.runbook_url).toContain('/runbooks/checkout/availability-fast-burn');
    }
  });

  it('parses the resolved body with the same occurrences and their end times', () => {
    const firing = parsed(fixture('firing.json'));
    const resolved = parsed(fixture('resolved.json'));
    expect(resolved.status).toBe('resolved');
    for (const alert of resolved.alerts) {
      const before = firing.alerts.find((a) => a.fingerprint === alert.fingerprint);
      expect(alert.status).toBe('resolved');
      expect(alert.startsAt).toBe(before?.startsAt);
      expect(alert.endsAt).toBeGreaterThan(alert.startsAt);
    }
  });
});

describe('parseAlertmanagerPayload', () => {
  it('tolerates fields it does not know', () => {
    const body = firingWith((b) => {
      b.orgId = 1;
      Object.assign(alertsOf(b)[0] as RawAlert, { silenceURL: 'http://x', values: { B: 1 } });
    });
    expect(parsed(body).alerts).toHaveLength(2);
  });

  it('reads nanosecond timestamps with offsets as milliseconds', () => {
    const body = firingWith((b) => {
      (alertsOf(b)[0] as RawAlert).startsAt = '2018-08-03T09:52:26.739266876+02:00';
    });
    expect(parsed(body).alerts[0]?.startsAt).toBe(Date.UTC(2018, 7, 3, 7, 52, 26, 739));
  });

  it.each([
    ['a number', 42, 'body: expected an object, got a number'],
    ['null', null, 'body: expected an object, got null'],
    ['an array', [], 'body: expected an object, got an array'],
  ])('rejects %s as the body', (_, body, problem) => {
    expect(problems(body)).toEqual([problem]);
  });

  it.each<[string, (body: Record<string, unknown>) => void, string]>([
    ['another version', (b) => (b.version = '3'), 'version: expected "4", got "3"'],
    ['a numeric version', (b) => (b.version = 4), 'version: expected "4", got a number'],
    ['no groupKey', (b) => delete b.groupKey, 'groupKey: required'],
    [
      'an unknown group status',
      (b) => (b.status = 'ok'),
      'status: expected "firing" or "resolved", got "ok"',
    ],
    [
      'a negative truncatedAlerts',
      (b) => (b.truncatedAlerts = -1),
      'truncatedAlerts: expected a count, got a negative number',
    ],
    ['alerts that are no list', (b) => (b.alerts = {}), 'alerts: expected an array, got an object'],
    [
      'commonLabels as a list',
      (b) => (b.commonLabels = []),
      'commonLabels: expected an object of strings, got an array',
    ],
    [
      'a start that is no timestamp',
      (b) => ((alertsOf(b)[1] as RawAlert).startsAt = 'yesterday'),
      'alerts[1].startsAt: expected an RFC 3339 timestamp',
    ],
    [
      'a start without a time zone',
      (b) => ((alertsOf(b)[0] as RawAlert).startsAt = '2024-05-01T10:00:00'),
      'alerts[0].startsAt: expected an RFC 3339 timestamp',
    ],
    [
      'the zero time as start',
      (b) => ((alertsOf(b)[0] as RawAlert).startsAt = '0001-01-01T00:00:00Z'),
      'alerts[0].startsAt: expected a start time, got the zero time',
    ],
    [
      'a numeric end',
      (b) => ((alertsOf(b)[0] as RawAlert).endsAt = 1714557600),
      'alerts[0].endsAt: expected an RFC 3339 timestamp',
    ],
    [
      'a resolved alert without an end',
      (b) => ((alertsOf(b)[0] as RawAlert).status = 'resolved'),
      'alerts[0].endsAt: expected the end time of a resolved alert, got the zero time',
    ],
    ['no status', (b) => delete b.status, 'status: required'],
    [
      'an unknown alert status',
      (b) => ((alertsOf(b)[0] as RawAlert).status = 'pending'),
      'alerts[0].status: expected "firing" or "resolved", got "pending"',
    ],
    [
      'a label value that is no string',
      (b) => (((alertsOf(b)[0] as RawAlert).labels as RawAlert).tenant = 7),
      'alerts[0].labels.tenant: expected a string, got a number',
    ],
    [
      'a label name that is no identifier',
      (b) => (((alertsOf(b)[1] as RawAlert).annotations as RawAlert)['two words'] = null),
      'alerts[1].annotations["two words"]: expected a string, got null',
    ],
    [
      'no fingerprint',
      (b) => delete (alertsOf(b)[0] as RawAlert).fingerprint,
      'alerts[0].fingerprint: required',
    ],
    [
      'an empty fingerprint',
      (b) => ((alertsOf(b)[0] as RawAlert).fingerprint = ''),
      'alerts[0].fingerprint: expected a non-empty fingerprint',
    ],
  ])('rejects %s, naming the field', (_, change, problem) => {
    expect(problems(firingWith(change))).toEqual([problem]);
  });

  it('lists the first problems of a body and stops checking there', () => {
    const alerts = Array.from({ length: 30 }, () => ({ status: 'firing' }));
    const found = problems(firingWith((b) => (b.alerts = alerts)));
    // Each alert misses 6 fields: the first 20 problems are those of alerts[0] to alerts[3].
    expect(found).toHaveLength(21);
    expect(found[0]).toBe('alerts[0].labels: required');
    expect(found[19]).toBe('alerts[3].annotations: required');
    expect(found[20]).toBe('… checking stopped after 20 problems');
  });

  it('checks a million bad alerts no slower than a few: the work stops at the problems it shows', () => {
    const few = firingWith((b) => (b.alerts = Array.from({ length: 4 }, () => ({}))));
    const many = firingWith((b) => (b.alerts = Array.from({ length: 1_000_000 }, () => ({}))));
    expect(problems(many)).toEqual(problems(few));
    // One bad label per set is one problem, however many bad labels the set holds.
    const labels = Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`l${i}`, i]));
    const wide = problems(firingWith((b) => ((alertsOf(b)[0] as RawAlert).labels = labels)));
    expect(wide).toEqual(['alerts[0].labels.l0: expected a string, got a number']);
  });

  it('keeps labels and annotations named `__proto__` or `constructor` as data, touching no prototype', () => {
    const body = JSON.parse(
      '{"labels": {"alertname": "A", "__proto__": "x", "constructor": "y"}, "annotations": {"__proto__": "z"}}',
    );
    const payload = parsed(firingWith((b) => Object.assign(alertsOf(b)[0] as RawAlert, body)));
    const alert = payload.alerts[0];
    expect(Object.entries(alert?.labels ?? {})).toEqual([
      ['alertname', 'A'],
      ['__proto__', 'x'],
      ['constructor', 'y'],
    ]);
    expect(Object.entries(alert?.annotations ?? {})).toEqual([['__proto__', 'z']]);
    // A name the set lacks finds nothing, not Object.prototype's members.
    expect(payload.alerts[1]?.labels.constructor).toBeUndefined();
    expect(JSON.stringify(alert?.labels)).toBe('{"alertname":"A","__proto__":"x","constructor":"y"}');
  });

  it('refuses a label whose value is an object, `__proto__` included, and pollutes nothing', () => {
    const hostile = JSON.parse('{"__proto__": {"polluted": "yes"}}');
    expect(problems(firingWith((b) => ((alertsOf(b)[0] as RawAlert).labels = hostile)))).toEqual([
      'alerts[0].labels.__proto__: expected a string, got an object',
    ]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
