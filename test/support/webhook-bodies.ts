/**
 * Webhook bodies for the fuzzer (webhook-fuzz.test.ts), from a seed: Alertmanager payloads that are valid
 * but odd (label names like `__proto__`, lone surrogates, NUL, long values, unknown fields), payloads with
 * a field broken, and bytes that are no JSON at all. Every alert of body `n` has a fingerprint starting
 * `fz-<n>-`, so the test can find what the store holds of each body.
 */
import { chooser, random as seeded } from './random.ts';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export interface FuzzBody {
  /** Exactly the bytes sent. */
  text: string;
  /** The fingerprint prefix of this body's alerts. */
  prefix: string;
  /** What the mutations did, for the failure message. */
  what: string[];
  /** The status a fixed case must get; fuzzed bodies need none, only the rules every answer obeys. */
  expected?: number;
}

const ODD_NAMES = [
  '__proto__',
  'constructor',
  'prototype',
  'hasOwnProperty',
  'toString',
  '__defineGetter__',
  '',
  ' ',
  'two words',
  'dotted.name',
  'ünïcödé',
  '名前',
  '$ref',
  'slo_service',
  'severity',
];
const ODD_VALUES = [
  '',
  ' ',
  '<script>alert(1)</script>',
  '"quoted" & \'single\'',
  '\u0000nul',
  '\ud800 lone surrogate',
  '😀 emoji',
  'javascript:alert(1)',
  '{{mustache}}',
  'x'.repeat(10_000),
  '0001-01-01T00:00:00Z',
  'critical',
];
const WRONG_TYPES: Json[] = [null, 0, -1, 1.5, true, [], {}, ['a'], { a: 1 }, 'x'];
const BAD_TIMES = [
  'yesterday',
  '2026-02-30T00:00:00Z',
  '2026-13-01T00:00:00Z',
  '2026-11-20T25:00:00Z',
  '2026-11-20T10:00:00',
  '0001-01-01T00:00:00Z',
  '',
  '9999999-01-01T00:00:00Z',
];
const GOOD_TIMES = [
  '2026-11-20T10:00:00Z',
  '2026-11-20T10:00:00.123456789Z',
  '2026-11-20T12:00:00+02:00',
  '1970-01-01T00:00:01Z',
  '9999-12-31T23:59:59Z',
];
const ENVELOPE_FIELDS = [
  'version',
  'groupKey',
  'truncatedAlerts',
  'status',
  'receiver',
  'groupLabels',
  'commonLabels',
  'commonAnnotations',
  'externalURL',
  'alerts',
];
const ALERT_FIELDS = ['status', 'labels', 'annotations', 'startsAt', 'endsAt', 'generatorURL', 'fingerprint'];

/** `object[key] = value` as data: plain assignment to `__proto__` would set the prototype instead. */
function put(object: JsonObject, key: string, value: Json): void {
  Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
}

/** The alert's label set (or annotations), made anew when an earlier mutation broke it. */
function setOf(alert: JsonObject, which: string): JsonObject {
  const set = alert[which];
  if (set !== null && typeof set === 'object' && !Array.isArray(set)) return set;
  const fresh: JsonObject = {};
  alert[which] = fresh;
  return fresh;
}

export function fuzzBodies(seed: number, count: number): FuzzBody[] {
  const random = seeded(seed);
  const { int, pick } = chooser(random);

  function alert(prefix: string, j: number): JsonObject {
    const firing = random() < 0.8;
    return {
      status: firing ? 'firing' : 'resolved',
      labels: {
        alertname: `Fuzz${int(5)}`,
        severity: pick(['page', 'ticket', 'critical', 'info']),
        n: String(j),
      },
      annotations: { summary: `alert ${j}` },
      startsAt: pick(GOOD_TIMES.slice(0, 3)),
      endsAt: firing ? '0001-01-01T00:00:00Z' : '2026-11-20T11:00:00Z',
      generatorURL: 'http://prometheus.example:9090/graph',
      fingerprint: `${prefix}${j}`,
    };
  }

  // Each returns what it did; those that make the body invalid say so only in words, the test needs no oracle.
  const mutations: Array<(body: JsonObject, alerts: JsonObject[]) => string> = [
    (_, alerts) => {
      const a = pick(alerts);
      const name = pick(ODD_NAMES);
      put(setOf(a, pick(['labels', 'annotations'])), name, pick(ODD_VALUES));
      return `odd name ${JSON.stringify(name)}`;
    },
    (_, alerts) => {
      const a = pick(alerts);
      setOf(a, 'labels').alertname = pick(ODD_VALUES);
      return 'odd alertname';
    },
    (body, alerts) => {
      const extra = { unknown: pick(WRONG_TYPES), orgId: 1 };
      Object.assign(random() < 0.5 ? body : pick(alerts), extra);
      return 'unknown fields';
    },
    (body) => {
      body.truncatedAlerts = pick<Json>([0, 3, 1_000_000, -1, 1.5, '3', null]);
      return `truncatedAlerts ${JSON.stringify(body.truncatedAlerts)}`;
    },
    (_, alerts) => {
      pick(alerts).startsAt = pick(random() < 0.5 ? GOOD_TIMES : BAD_TIMES);
      return 'startsAt';
    },
    (_, alerts) => {
      const a = pick(alerts);
      a.status = 'resolved';
      a.endsAt = pick([...GOOD_TIMES, ...BAD_TIMES]);
      return 'resolved with endsAt';
    },
    (body) => {
      const field = pick(ENVELOPE_FIELDS);
      if (random() < 0.5) delete body[field];
      else body[field] = pick(WRONG_TYPES);
      return `envelope ${field} broken`;
    },
    (_, alerts) => {
      const a = pick(alerts);
      const field = pick(ALERT_FIELDS.filter((f) => f !== 'fingerprint'));
      if (random() < 0.5) delete a[field];
      else a[field] = pick(WRONG_TYPES);
      return `alert ${field} broken`;
    },
    (_, alerts) => {
      const a = pick(alerts);
      a.fingerprint = pick<Json>(['', null, 7, []]);
      return 'fingerprint broken';
    },
    (_, alerts) => {
      put(setOf(pick(alerts), 'labels'), pick(ODD_NAMES), pick(WRONG_TYPES));
      return 'label value not a string';
    },
    (body) => {
      body.version = pick<Json>(['3', 4, '4 ', '']);
      return 'version';
    },
    (body, alerts) => {
      body.alerts = [
        ...(Array.isArray(body.alerts) ? body.alerts : alerts),
        ...Array.from({ length: 1 + int(40) }, () => pick(WRONG_TYPES)),
      ];
      return 'junk alerts';
    },
  ];

  // Applied to the JSON text: what a broken proxy or an attacker sends.
  const textMutations: Array<(text: string) => [string, string]> = [
    (text) => [text.slice(0, int(text.length)), 'cut short'],
    (text) => {
      const at = int(text.length);
      return [`${text.slice(0, at)}${String.fromCharCode(int(128))}${text.slice(at)}`, 'a stray character'];
    },
    () => [Array.from({ length: 1 + int(200) }, () => String.fromCharCode(int(256))).join(''), 'noise'],
    () => [`{"alerts":${'['.repeat(1 + int(5000))}`, 'deep nesting'],
    () => [
      `{"version":"4","alerts":[${Array(1 + int(20_000))
        .fill('{}')
        .join(',')}]}`,
      'empty alerts',
    ],
    (text) => [`\ufeff${text}`, 'byte order mark'],
    () => [pick(['null', '[]', '"x"', '0', 'true', '{}', '']), 'not an object'],
  ];

  const bodies: FuzzBody[] = [];
  for (let n = 0; n < count; n++) {
    const prefix = `fz-${n}-`;
    const alerts = Array.from({ length: random() < 0.05 ? 100 : 1 + int(5) }, (_, j) => alert(prefix, j));
    const body: JsonObject = {
      version: '4',
      groupKey: `{}:{n="${n}"}`,
      truncatedAlerts: 0,
      status: 'firing',
      receiver: 'burnbook',
      groupLabels: { n: String(n) },
      commonLabels: {},
      commonAnnotations: {},
      externalURL: 'http://alertmanager.example:9093',
      alerts,
    };
    const what: string[] = [];
    for (let m = int(4); m > 0; m--) what.push(pick(mutations)(body, alerts));
    let text = JSON.stringify(body);
    if (random() < 0.15) {
      const [mutated, how] = pick(textMutations)(text);
      text = mutated;
      what.push(how);
    }
    bodies.push({ text, prefix, what });
  }
  return bodies;
}
