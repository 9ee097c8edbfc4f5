/** A tiny live exporter a test steers: counters that grow at rates the test sets, scraped by a real Prometheus. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LiveCounter {
  name: string;
  labels: Record<string, string>;
  /** Events per second; change with setRates. */
  perSecond: number;
  /** Where the counter starts: the last value of its backfilled history, so the series goes on without a reset. */
  initial?: number;
}

export interface RunningExporter {
  /** `host:port`, as a Prometheus scrape target. */
  target: string;
  /** New rates by counter index; counters keep what they counted so far. */
  setRates(perSecond: number[]): void;
  close(): Promise<void>;
}

export async function startExporter(counters: LiveCounter[]): Promise<RunningExporter> {
  const values = counters.map((c) => c.initial ?? 0);
  const rates = counters.map((c) => c.perSecond);
  let last = performance.now();
  // Counters grow with time, not with scrapes, so a late or missed scrape sees the right rate.
  const advance = () => {
    const now = performance.now();
    const seconds = (now - last) / 1000;
    last = now;
    rates.forEach((rate, i) => {
      values[i] = (values[i] ?? 0) + rate * seconds;
    });
  };
  const server = createServer((_request, response) => {
    advance();
    const lines = counters.map((c, i) => {
      const labels = Object.entries(c.labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
      return `${c.name}{${labels.join(',')}} ${Math.floor(values[i] ?? 0)}`;
    });
    response.setHeader('content-type', 'text/plain; version=0.0.4');
    response.end(
      `${[...new Set(counters.map((c) => `# TYPE ${c.name} counter`))].join('\n')}\n${lines.join('\n')}\n`,
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    target: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    setRates(perSecond) {
      advance();
      perSecond.forEach((rate, i) => {
        rates[i] = rate;
      });
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
