/**
 * The body Alertmanager POSTs to a `webhook_config` receiver (payload version 4), validated with zod.
 * Fields Alertmanager may add in later versions are dropped, not rejected, so an upgrade never turns
 * deliveries into 4xx answers that Alertmanager would drop. Labels and annotations are kept whatever their
 * names (see label-set.ts).
 */
import { z } from 'zod';
import { labelSetSchema } from '../prometheus/label-set.ts';

// Go's zero time.Time: Alertmanager writes it as the endsAt of every alert that is still firing.
const GO_ZERO_TIME_MS = Date.parse('0001-01-01T00:00:00Z');

const TIMESTAMP = 'expected an RFC 3339 timestamp';

// Milliseconds since the epoch; Alertmanager's nanoseconds are finer than any use we have for them. The
// pattern lets through dates no calendar has (February 30th), which Date.parse turns into NaN.
const timestamp = z.iso
  .datetime({ offset: true, error: TIMESTAMP })
  .transform((text) => Date.parse(text))
  .refine(Number.isFinite, TIMESTAMP);

export const alertStatusSchema = z.enum(['firing', 'resolved']);

const alertSchema = z
  .object({
    status: alertStatusSchema,
    labels: labelSetSchema,
    annotations: labelSetSchema,
    startsAt: timestamp.refine((ms) => ms > GO_ZERO_TIME_MS, 'expected a start time, got the zero time'),
    endsAt: timestamp.transform((ms) => (ms <= GO_ZERO_TIME_MS ? null : ms)),
    generatorURL: z.string(),
    fingerprint: z.string().min(1, 'expected a non-empty fingerprint'),
  })
  // Pruning goes by end time, so a resolved alert without one would be kept forever.
  .refine((alert) => alert.status === 'firing' || alert.endsAt !== null, {
    path: ['endsAt'],
    message: 'expected the end time of a resolved alert, got the zero time',
  });

export const alertmanagerPayloadSchema = z.object({
  version: z.literal('4'),
  groupKey: z.string(),
  /** How many alerts of the group Alertmanager left out of this body (`max_alerts` in the webhook_config). */
  truncatedAlerts: z.int().min(0, 'expected a count, got a negative number').optional(),
  status: alertStatusSchema,
  // Alertmanager passes the receiver name through regexp.QuoteMeta: `burnbook.hooks` arrives as `burnbook\.hooks`.
  receiver: z.string(),
  groupLabels: labelSetSchema,
  commonLabels: labelSetSchema,
  commonAnnotations: labelSetSchema,
  externalURL: z.string(),
  alerts: z.array(alertSchema),
});

export type AlertmanagerPayload = z.output<typeof alertmanagerPayloadSchema>;
export type AlertmanagerAlert = AlertmanagerPayload['alerts'][number];

export type PayloadParseResult =
  | { ok: true; payload: AlertmanagerPayload }
  | { ok: false; problems: string[] };

// The first few problems are enough to fix the sender; a hostile body can hold millions.
export const MAX_PROBLEMS = 20;

const envelopeSchema = alertmanagerPayloadSchema.omit({ alerts: true });
const IN_JSON_WORDS = { error: describeIssue };

/**
 * Validates a webhook body (parsed JSON); problems read `alerts[3].startsAt: expected an RFC 3339
 * timestamp`. The envelope first, then one alert at a time, stopping at MAX_PROBLEMS: the work is bounded
 * by the valid alerts before the last problem, whatever the body holds after it.
 */
export function parseAlertmanagerPayload(body: unknown): PayloadParseResult {
  const problems: string[] = [];
  const report = (issues: readonly z.core.$ZodIssue[], prefix: PropertyKey[] = []) => {
    for (const issue of issues) problems.push(`${formatPath([...prefix, ...issue.path])}: ${issue.message}`);
  };
  const envelope = envelopeSchema.safeParse(body, IN_JSON_WORDS);
  if (!envelope.success) report(envelope.error.issues);
  const alerts = envelope.success || isObject(body) ? (body as { alerts?: unknown }).alerts : [];
  if (!Array.isArray(alerts)) {
    problems.push(`alerts: ${describeIssue({ code: 'invalid_type', expected: 'array', input: alerts })}`);
  }
  const parsed: AlertmanagerAlert[] = [];
  const list: unknown[] = Array.isArray(alerts) ? alerts : [];
  for (let i = 0; i < list.length && problems.length < MAX_PROBLEMS; i++) {
    const alert = alertSchema.safeParse(list[i], IN_JSON_WORDS);
    if (alert.success) parsed.push(alert.data);
    else report(alert.error.issues, ['alerts', i]);
  }
  if (problems.length >= MAX_PROBLEMS) {
    problems.splice(MAX_PROBLEMS);
    problems.push(`… checking stopped after ${MAX_PROBLEMS} problems`);
  }
  if (!envelope.success || problems.length > 0) return { ok: false, problems };
  return { ok: true, payload: { ...envelope.data, alerts: parsed } };
}

function isObject(value: unknown): value is object {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

// Bytes that are not UTF-8 become U+FFFD rather than an error: the JSON around them may still be valid.
const UTF8 = new TextDecoder();

/**
 * A webhook body as bytes: JSON, then validated. JSON.parse keeps every key, `__proto__` included, as an
 * own property; the schema copies label sets into bare objects (label-set.ts).
 */
export function parseWebhookBody(body: Uint8Array | string): PayloadParseResult {
  let json: unknown;
  try {
    json = JSON.parse(typeof body === 'string' ? body : UTF8.decode(body));
  } catch (error) {
    return { ok: false, problems: [`body: expected JSON (${(error as Error).message})`] };
  }
  return parseAlertmanagerPayload(json);
}

// zod's own messages name zod's types (`expected record, received array`); these name what the sender
// wrote in JSON, which is what whoever reads the 4xx body has in front of them.
const EXPECTED_NAMES: Record<string, string> = { record: 'object of strings', int: 'integer' };

/** A zod error map in the words of JSON; also for other input burnbook validates (query strings). */
export function describeIssue(issue: z.core.$ZodRawIssue): string | undefined {
  if ((issue.code === 'invalid_type' || issue.code === 'invalid_value') && issue.input === undefined) {
    return 'required';
  }
  if (issue.code === 'invalid_type') {
    const expected = EXPECTED_NAMES[issue.expected] ?? issue.expected;
    return `expected ${article(expected)} ${expected}, got ${kindOf(issue.input)}`;
  }
  if (issue.code === 'invalid_value') {
    return `expected ${issue.values.map((value) => JSON.stringify(value)).join(' or ')}, got ${kindOf(issue.input)}`;
  }
  return undefined;
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'object') return 'an object';
  return `${article(typeof value)} ${typeof value}`;
}

function article(noun: string): string {
  return /^[aeiou]/.test(noun) ? 'an' : 'a';
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** `alerts[3].startsAt`: a zod issue path the way a reader of the JSON would write it. */
export function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return 'body';
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'string' && IDENTIFIER.test(key)) out += out ? `.${key}` : key;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}
