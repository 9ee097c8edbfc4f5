import type { PostableAlert } from './alerts.ts';

/** Sends alerts to Alertmanager's v2 API; every call is bounded by a timeout. */
export interface AlertmanagerClient {
  readonly url: string;
  postAlerts(alerts: PostableAlert[]): Promise<void>;
}

export function createAlertmanagerClient(options: { url: string; timeoutMs: number }): AlertmanagerClient {
  const base = options.url.replace(/\/+$/, '');
  const endpoint = `${base}/api/v2/alerts`;
  return {
    url: base,
    async postAlerts(alerts) {
      const signal = AbortSignal.timeout(options.timeoutMs);
      let response: Response;
      try {
        response = await fetch(endpoint, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'User-Agent': 'burnbook' },
          body: JSON.stringify(alerts),
          signal,
        });
      } catch (cause) {
        // undici hides the socket error (ECONNREFUSED, a TLS failure) in `cause`.
        const reason =
          cause instanceof Error && cause.cause instanceof Error ? cause.cause.message : String(cause);
        const what = signal.aborted
          ? `did not answer within ${options.timeoutMs} ms`
          : `is unreachable: ${reason}`;
        throw new Error(`Alertmanager at ${endpoint} ${what}`, { cause });
      }
      const body = await response.text().catch(() => '');
      if (!response.ok) {
        throw new Error(
          `Alertmanager at ${endpoint} answered HTTP ${response.status}: ${body.slice(0, 200)}`,
        );
      }
    },
  };
}
