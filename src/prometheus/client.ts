/**
 * A small client for Prometheus's HTTP API, also spoken by Thanos Query, Mimir and Cortex.
 * Every call is bounded by a timeout and fails with a PrometheusError, never with a hang or a raw fetch error.
 */
import { z } from 'zod';
import { baseUrl } from '../conventions/urls.ts';
import { AnswerTooLargeError, readBoundedText } from './bounded-body.ts';
import { kindForErrorType, kindForStatus, PrometheusError, type PrometheusErrorKind } from './errors.ts';
import {
  type Alert,
  alertsDataSchema,
  type BuildInfo,
  buildInfoSchema,
  envelopeSchema,
  labelsDataSchema,
  parseSampleValue,
  type QueryData,
  type QueryRangeData,
  queryDataSchema,
  queryRangeDataSchema,
  type RuleGroup,
  rulesDataSchema,
} from './schemas.ts';

export { PrometheusError, type PrometheusErrorKind } from './errors.ts';
export type {
  Alert,
  AlertingRule,
  BuildInfo,
  InstantSample,
  Point,
  RangeSeries,
  RecordingRule,
  RuleGroup,
} from './schemas.ts';

const DEFAULT_TIMEOUT_MS = 5_000;
// A vector of 10,000 series is a few MiB of JSON; an answer many times that is a mistake or an attack.
const DEFAULT_MAX_BYTES = 32 * 1024 * 1024;
const DEFAULT_MAX_SERIES = 10_000;

export interface PrometheusClientOptions {
  /** Base URL, with any path prefix: `http://prometheus:9090`, `https://host/prometheus`. */
  url: string;
  /** Upper bound for each call, connection to last byte. Default 5000. */
  timeoutMs?: number;
  bearerToken?: string;
  /** Also taken from credentials in `url` (`http://user:pass@host`). */
  basicAuth?: { username: string; password: string };
  /** Sent with every request, e.g. `{ 'X-Scope-OrgID': 'tenant-a' }` for Mimir, Cortex or Thanos. */
  headers?: Record<string, string>;
  /** Bytes read of one answer at most; a longer one fails the call. Default 32 MiB. */
  maxBytes?: number;
  /** Series kept of one query's answer, those with the highest values; default 10,000. */
  maxSeries?: number;
}

/** Per call: fewer series than the client keeps, e.g. for what a page shows. */
export interface QueryLimits {
  maxSeries?: number;
}

/**
 * Query results carry Prometheus's warnings (e.g. Thanos partial responses) next to the data, and how
 * many series burnbook left out to keep `maxSeries` (see keepTopSeries).
 */
export type QueryResult = QueryData & { warnings: string[]; omittedSeries: number };
export type QueryRangeResult = QueryRangeData & { warnings: string[]; omittedSeries: number };

export interface PrometheusClient {
  /** The base URL without credentials or trailing slash, for links to Prometheus's own pages. */
  readonly url: string;
  /** Instant query at `time` (default: Prometheus's now). */
  query(expr: string, time?: Date, limits?: QueryLimits): Promise<QueryResult>;
  /** Range query from `start` to `end`, one point every `stepSeconds`. */
  queryRange(
    expr: string,
    start: Date,
    end: Date,
    stepSeconds: number,
    limits?: QueryLimits,
  ): Promise<QueryRangeResult>;
  /**
   * The values `label` takes on the series matching any of `match` (every series when empty), over the
   * whole of what Prometheus keeps unless `since` narrows it: `__name__` for metric names. Bounded by the
   * client's answer size, like every call.
   */
  labelValues(label: string, match: readonly string[], since?: Date): Promise<string[]>;
  /** The label names of the series matching any of `match`, over the whole of what Prometheus keeps. */
  labelNames(match: readonly string[]): Promise<string[]>;
  /** Loaded rule groups, with each rule's health and each alerting rule's active alerts. */
  rules(): Promise<RuleGroup[]>;
  /** Pending and firing alerts. */
  alerts(): Promise<Alert[]>;
  buildInfo(): Promise<BuildInfo>;
}

export function createPrometheusClient(options: PrometheusClientOptions): PrometheusClient {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!(timeoutMs > 0 && Number.isFinite(timeoutMs))) {
    throw new TypeError(`Prometheus timeout must be a positive number of milliseconds, got ${timeoutMs}`);
  }
  const { base, headers } = resolveTarget(options);
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const maxSeries = options.maxSeries ?? DEFAULT_MAX_SERIES;
  // Prometheus stops evaluating a query at its own timeout, so one we gave up on costs it nothing more.
  const serverTimeout = `${Math.ceil(timeoutMs)}ms`;

  async function call<S extends z.ZodType>(
    path: string,
    schema: S,
    form?: URLSearchParams,
    keepSeries = maxSeries,
  ): Promise<{ data: z.output<S>; warnings: string[]; omittedSeries: number }> {
    const url = `${base}${path}`;
    const signal = AbortSignal.timeout(timeoutMs);
    let response: Response;
    let body: string;
    try {
      response = await fetch(url, { method: form ? 'POST' : 'GET', headers, body: form, signal });
      body = await readBoundedText(response, maxBytes);
    } catch (cause) {
      if (cause instanceof AnswerTooLargeError) {
        throw new PrometheusError('http', `Prometheus at ${url} ${cause.message}`, { url, cause });
      }
      const [kind, what] = signal.aborted
        ? (['timeout', `did not answer within ${timeoutMs} ms`] as const)
        : (['unavailable', `is unreachable: ${networkReason(cause)}`] as const);
      throw new PrometheusError(kind, `Prometheus at ${url} ${what}`, { url, cause });
    }
    return parseResponse(url, response, body, schema, keepSeries);
  }

  // A query's answer: its data, Prometheus's warnings, and the series left out to keep the limit.
  async function ask<S extends typeof queryDataSchema | typeof queryRangeDataSchema>(
    path: string,
    schema: S,
    form: URLSearchParams,
    limits?: QueryLimits,
  ) {
    const keep = Math.min(maxSeries, limits?.maxSeries ?? maxSeries);
    const { data, warnings, omittedSeries } = await call(path, schema, form, keep);
    return { ...(data as z.output<S>), warnings, omittedSeries };
  }

  return {
    url: base,
    query(expr, time, limits) {
      const form = new URLSearchParams({ query: expr, timeout: serverTimeout });
      if (time) form.set('time', apiTime(time));
      return ask('/api/v1/query', queryDataSchema, form, limits);
    },
    queryRange(expr, start, end, stepSeconds, limits) {
      const form = new URLSearchParams({
        query: expr,
        start: apiTime(start),
        end: apiTime(end),
        step: String(stepSeconds),
        timeout: serverTimeout,
      });
      return ask('/api/v1/query_range', queryRangeDataSchema, form, limits);
    },
    async labelValues(label, match, since) {
      const params = matchParams(match, since);
      const path = `/api/v1/label/${encodeURIComponent(label)}/values${params}`;
      return (await call(path, labelsDataSchema)).data;
    },
    async labelNames(match) {
      return (await call(`/api/v1/labels${matchParams(match)}`, labelsDataSchema)).data;
    },
    async rules() {
      return (await call('/api/v1/rules', rulesDataSchema)).data.groups;
    },
    async alerts() {
      return (await call('/api/v1/alerts', alertsDataSchema)).data.alerts;
    },
    async buildInfo() {
      return (await call('/api/v1/status/buildinfo', buildInfoSchema)).data;
    },
  };
}

function resolveTarget(options: PrometheusClientOptions): { base: string; headers: Record<string, string> } {
  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    throw new TypeError(`Prometheus URL is not a valid URL: ${JSON.stringify(options.url)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`Prometheus URL must be http or https: ${options.url}`);
  }
  if (url.search) throw new TypeError(`Prometheus URL must not have a query string: ${options.url}`);
  if (options.bearerToken !== undefined && options.basicAuth !== undefined) {
    throw new TypeError('Prometheus client: give a bearer token or basic auth, not both');
  }
  // fetch refuses URLs with credentials, and they must not leak into error messages either.
  const basicAuth =
    options.basicAuth ??
    (url.username
      ? { username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) }
      : undefined);
  const base = `${url.origin}${baseUrl(url.pathname)}`;

  const headers: Record<string, string> = {
    Accept: 'application/json',
    'User-Agent': 'burnbook',
    ...options.headers,
  };
  if (options.bearerToken !== undefined) headers.Authorization = `Bearer ${options.bearerToken}`;
  if (basicAuth) {
    const pair = Buffer.from(`${basicAuth.username}:${basicAuth.password}`, 'utf8').toString('base64');
    headers.Authorization = `Basic ${pair}`;
  }
  return { base, headers };
}

/** `?match[]=…&start=…` for the label APIs; without `start` they read every block Prometheus keeps. */
function matchParams(match: readonly string[], since?: Date): string {
  const params = new URLSearchParams(match.map((m) => ['match[]', m]));
  if (since) params.set('start', apiTime(since));
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** Unix seconds with millisecond precision: what the API takes, free of time-zone questions. */
function apiTime(date: Date): string {
  return (date.getTime() / 1000).toFixed(3);
}

function parseResponse<S extends z.ZodType>(
  url: string,
  response: Response,
  body: string,
  schema: S,
  maxSeries: number,
): { data: z.output<S>; warnings: string[]; omittedSeries: number } {
  const status = response.status;
  const fail = (
    kind: PrometheusErrorKind,
    what: string,
    details: { errorType?: string; cause?: unknown } = {},
  ) => new PrometheusError(kind, `Prometheus at ${url} ${what}`, { url, status, ...details });

  const parsed = envelopeSchema.safeParse(parseJson(body));
  const envelope = parsed.success ? parsed.data : undefined;
  if (envelope?.status === 'error') {
    const { errorType, error } = envelope;
    throw fail(kindForErrorType(errorType), `answered ${errorType}: ${error}`, { errorType });
  }
  if (!response.ok) {
    throw fail(kindForStatus(status), `answered HTTP ${status}${statusHint(status)}: ${excerpt(body)}`);
  }
  if (!envelope) throw fail('http', `sent something other than an API response: ${excerpt(body)}`);
  // Before the schema: validating 200,000 series only to drop most of them would cost seconds.
  const kept = keepTopSeries(envelope.data, maxSeries);
  const data = schema.safeParse(kept.data);
  if (!data.success) {
    throw fail('http', `sent an unexpected response: ${z.prettifyError(data.error)}`, { cause: data.error });
  }
  return { data: data.data, warnings: envelope.warnings ?? [], omittedSeries: kept.omitted };
}

/**
 * A vector or matrix answer cut to its `maxSeries` series with the highest values (a matrix series by its
 * last point): the top of a first-look query's breakdown is what on-call looks at, and the most urgent
 * groups are what the evaluator must not lose. Values that are no number rank last. Anything else as is.
 */
export function keepTopSeries(data: unknown, maxSeries: number): { data: unknown; omitted: number } {
  const result = (data as { result?: unknown } | null)?.result;
  const type = (data as { resultType?: unknown } | null)?.resultType;
  if ((type !== 'vector' && type !== 'matrix') || !Array.isArray(result) || result.length <= maxSeries) {
    return { data, omitted: 0 };
  }
  const score = (series: unknown): number => {
    const { value, values } = (series ?? {}) as { value?: unknown; values?: unknown };
    const point = type === 'vector' ? value : Array.isArray(values) ? values.at(-1) : undefined;
    const n = parseSampleValue(String(Array.isArray(point) ? point[1] : ''));
    return n === undefined || Number.isNaN(n) ? Number.NEGATIVE_INFINITY : n;
  };
  const top = result
    .map((series, i) => ({ series, i, score: score(series) }))
    .sort((a, b) => b.score - a.score || a.i - b.i)
    .slice(0, maxSeries)
    .map((ranked) => ranked.series);
  return { data: { ...(data as object), result: top }, omitted: result.length - maxSeries };
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

function statusHint(status: number): string {
  if (status === 401 || status === 403) return ' (check the bearer token or basic auth)';
  if (status === 404) return ' (is the path prefix in the URL right?)';
  return '';
}

function excerpt(body: string): string {
  const text = body.replace(/\s+/g, ' ').trim();
  if (!text) return '(empty body)';
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

/** undici hides the socket error (ECONNREFUSED, ENOTFOUND, a TLS failure) in `cause`. */
function networkReason(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  // Happy-eyeballs tries every address of a name and reports all failures together.
  if (cause instanceof AggregateError && cause.errors.length > 0) {
    return cause.errors.map((e: unknown) => (e instanceof Error ? e.message : String(e))).join('; ');
  }
  return cause instanceof Error ? cause.message : String(cause);
}
