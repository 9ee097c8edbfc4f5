/**
 * An HTTP proxy in front of a webhook receiver that writes down every delivery and what it was answered:
 * the test can then check that everything a receiver acknowledged is kept. While the receiver is down the
 * proxy answers 502, which Alertmanager retries, as it would a connection refused.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ProxiedAlert {
  fingerprint: string;
  /** As Alertmanager wrote it (RFC 3339). */
  startsAt: string;
  status: string;
  alertname: string | undefined;
}

export interface ProxiedDelivery {
  /** Milliseconds since the epoch, when the answer went back. */
  at: number;
  /** The receiver's answer, or 502 when it could not be reached. */
  status: number;
  alerts: ProxiedAlert[];
}

export interface RecordingProxy {
  url: string;
  deliveries: ProxiedDelivery[];
  close(): Promise<void>;
}

async function read(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Proxies every request to `target` (a base URL, e.g. a burnbook replica's), keeping it on one port. */
export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const deliveries: ProxiedDelivery[] = [];
  const server = createServer((request, response) => {
    void (async () => {
      const body = await read(request);
      let status = 502;
      let answer = '';
      try {
        const forwarded = await fetch(`${target}${request.url}`, {
          method: request.method ?? 'GET',
          headers: { 'content-type': request.headers['content-type'] ?? 'application/json' },
          ...(body.length > 0 ? { body: new Uint8Array(body) } : {}),
          signal: AbortSignal.timeout(30_000),
        });
        status = forwarded.status;
        answer = await forwarded.text();
      } catch (error) {
        answer = JSON.stringify({ error: `receiver unreachable: ${(error as Error).message}` });
      }
      if (request.method === 'POST') {
        const { alerts = [] } = JSON.parse(body.toString('utf8') || '{}') as {
          alerts?: Array<Omit<ProxiedAlert, 'alertname'> & { labels: Record<string, string> }>;
        };
        deliveries.push({
          at: Date.now(),
          status,
          alerts: alerts.map(({ fingerprint, startsAt, status: alertStatus, labels }) => ({
            fingerprint,
            startsAt,
            status: alertStatus,
            alertname: labels.alertname,
          })),
        });
      }
      response.writeHead(status, { 'content-type': 'application/json' }).end(answer);
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    deliveries,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
