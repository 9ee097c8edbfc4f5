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

/** Sends alerts to Alertmanager's v2 API and reads them back; every call is bounded by a timeout. */
export interface AlertmanagerClient {
  readonly url: string;
  /** Rejects after the client's timeout, or at once when `signal` aborts. */
  postAlerts(alerts: PostableAlert[], signal?: AbortSignal): Promise<void>;
  /** Every alert Alertmanager holds that has not ended, silenced and inhibited ones included. */
  activeAlerts(): Promise<ActiveAlert[]>;
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
      throw new Error(`Alertmanager at ${endpoint} ${what}`, { cause });
    }
    const body = await readBoundedText(response, MAX_ANSWER_BYTES).catch((error: unknown) => {
      if (error instanceof AnswerTooLargeError)
        throw new Error(`Alertmanager at ${endpoint} ${error.message}`);
      return '';
    });
    if (!response.ok) {
      throw new Error(`Alertmanager at ${endpoint} answered HTTP ${response.status}: ${body.slice(0, 200)}`);
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
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      const parsed = activeAlertsSchema.safeParse(json);
      if (!parsed.success) throw new Error(`Alertmanager at ${endpoint} sent alerts burnbook cannot read`);
      return parsed.data;
    },
  };
}
