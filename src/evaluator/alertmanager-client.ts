import { z } from 'zod';
import { baseUrl } from '../conventions/urls.ts';
import { AnswerTooLargeError, readBoundedText } from '../prometheus/bounded-body.ts';
import { labelSetSchema } from '../prometheus/label-set.ts';
import type { PostableAlert } from './alerts.ts';

/** What this client reads of Alertmanager's `GET /api/v2/alerts`; other fields are dropped. */
const activeAlertsSchema = z.array(
  z.object({
    labels: labelSetSchema,
    annotations: labelSetSchema,
    startsAt: z.iso.datetime({ offset: true }).transform((text) => Date.parse(text)),
    generatorURL: z.string().default(''),
  }),
);
export type ActiveAlert = z.output<typeof activeAlertsSchema>[number];

const isoMs = z.iso.datetime({ offset: true }).transform((text) => Date.parse(text));

/** What this client reads of Alertmanager's `GET /api/v2/silences`: who silenced what, when and why. */
const silencesSchema = z.array(
  z.object({
    id: z.string(),
    matchers: z.array(
      z.object({
        name: z.string(),
        value: z.string(),
        isRegex: z.boolean(),
        isEqual: z.boolean().default(true),
      }),
    ),
    startsAt: isoMs,
    endsAt: isoMs,
    createdBy: z.string().default(''),
    comment: z.string().default(''),
  }),
);
export type Silence = z.output<typeof silencesSchema>[number];

/** Sends alerts to Alertmanager's v2 API and reads them back; every call is bounded by a timeout. */
export interface AlertmanagerClient {
  readonly url: string;
  /** Rejects after the client's timeout, or at once when `signal` aborts. */
  postAlerts(alerts: PostableAlert[], signal?: AbortSignal): Promise<void>;
  /** Every alert Alertmanager holds that has not ended, silenced and inhibited ones included. */
  activeAlerts(): Promise<ActiveAlert[]>;
  /** Every silence Alertmanager keeps: active, pending and expired (it keeps expired ones for a while). */
  silences(): Promise<Silence[]>;
}

// Every alert an Alertmanager holds, as JSON: thousands fit in a few MiB.
const MAX_ANSWER_BYTES = 16 * 1024 * 1024;

export function createAlertmanagerClient(options: { url: string; timeoutMs: number }): AlertmanagerClient {
  const base = baseUrl(options.url);
  const endpoint = `${base}/api/v2/alerts`;

  async function call(url: string, init: RequestInit = {}, cancel?: AbortSignal): Promise<string> {
    const timeout = AbortSignal.timeout(options.timeoutMs);
    const signal = cancel ? AbortSignal.any([timeout, cancel]) : timeout;
    let response: Response;
    try {
      response = await fetch(url, {
        ...init,
        headers: { 'Content-Type': 'application/json', 'User-Agent': 'burnbook' },
        signal,
      });
    } catch (cause) {
      // undici hides the socket error (ECONNREFUSED, a TLS failure) in `cause`.
      const reason =
        cause instanceof Error && cause.cause instanceof Error ? cause.cause.message : String(cause);
      const what = timeout.aborted
        ? `did not answer within ${options.timeoutMs} ms`
        : `is unreachable: ${reason}`;
      throw new Error(`Alertmanager at ${url} ${what}`, { cause });
    }
    const body = await readBoundedText(response, MAX_ANSWER_BYTES).catch((error: unknown) => {
      if (error instanceof AnswerTooLargeError) throw new Error(`Alertmanager at ${url} ${error.message}`);
      return '';
    });
    if (!response.ok) {
      throw new Error(`Alertmanager at ${url} answered HTTP ${response.status}: ${body.slice(0, 200)}`);
    }
    return body;
  }

  return {
    url: base,
    async postAlerts(alerts, signal) {
      await call(endpoint, { method: 'POST', body: JSON.stringify(alerts) }, signal);
    },
    async activeAlerts() {
      const body = await call(`${endpoint}?active=true&silenced=true&inhibited=true&unprocessed=true`);
      return parseAnswer(
        body,
        activeAlertsSchema,
        `Alertmanager at ${endpoint} sent alerts burnbook cannot read`,
      );
    },
    async silences() {
      const url = `${base}/api/v2/silences`;
      const body = await call(url);
      return parseAnswer(body, silencesSchema, `Alertmanager at ${url} sent silences burnbook cannot read`);
    },
  };
}

function parseAnswer<S extends z.ZodType>(body: string, schema: S, problem: string): z.output<S> {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    json = undefined;
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new Error(problem);
  return parsed.data;
}
