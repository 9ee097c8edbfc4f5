import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startBurnbook } from './support/burnbook.ts';
import type { RunningServer } from './support/process.ts';

/**
 * The server's promise to Alertmanager: a 2xx means stored. `burnbook serve` runs as a child process,
 * takes webhook requests from many concurrent senders, and is killed in the middle of them: with SIGKILL
 * (nothing of the process survives, only what reached the disk) and with SIGTERM (the orderly shutdown).
 * After a restart on the same data directory, every delivery it acknowledged is there, whole.
 */

const SENDERS = 48;
const ALERTS_PER_DELIVERY = 3;
const ACKED_BEFORE_KILL = 600;

let server: RunningServer | undefined;

afterEach(async () => {
  await server?.stop();
  server = undefined;
});

function delivery(round: string, n: number) {
  const startsAt = new Date(Date.UTC(2026, 10, 22, 12, 0, 0, n % 1000)).toISOString();
  return {
    version: '4',
    groupKey: `{}:{round="${round}",n="${n}"}`,
    status: 'firing',
    receiver: 'burnbook',
    groupLabels: { round },
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://alertmanager.test',
    alerts: Array.from({ length: ALERTS_PER_DELIVERY }, (_, i) => ({
      status: 'firing',
      labels: { alertname: 'durability', round, delivery: String(n), alert: String(i) },
      annotations: { summary: `delivery ${n} alert ${i}` },
      startsAt,
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: '',
      fingerprint: `${round}-${n}-${i}`,
    })),
  };
}

/**
 * Posts deliveries from many senders; once enough were acknowledged, kills the server `delayMs` later
 * (senders keep sending meanwhile, so requests are in every stage: arriving, queued, committing, answered).
 * Returns the deliveries answered 2xx and how many requests failed.
 */
async function fire(url: string, round: string, delayMs: number, kill: () => void) {
  const acked = new Set<number>();
  let failed = 0;
  let next = 0;
  let killed = false;
  let scheduled = false;
  async function sender() {
    while (!killed) {
      const n = next++;
      try {
        const response = await fetch(`${url}/hooks/alertmanager`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(delivery(round, n)),
          signal: AbortSignal.timeout(10_000),
        });
        await response.arrayBuffer();
        if (response.ok) acked.add(n);
        else failed++;
      } catch {
        failed++;
        killed = true;
      }
      if (!scheduled && acked.size >= ACKED_BEFORE_KILL) {
        scheduled = true;
        setTimeout(kill, delayMs);
      }
    }
  }
  await Promise.all(Array.from({ length: SENDERS }, sender));
  return { acked, failed, sent: next };
}

/** Every stored fingerprint of a round, read back through the API page by page. */
async function storedFingerprints(url: string, round: string): Promise<Set<string>> {
  const found = new Set<string>();
  let next: string | null = '/api/v1/alerts?alertname=durability&limit=500';
  while (next) {
    const response = await fetch(`${url}${next}`, { signal: AbortSignal.timeout(10_000) });
    const body = (await response.json()) as { alerts: Array<{ fingerprint: string }>; next: string | null };
    for (const { fingerprint } of body.alerts)
      if (fingerprint.startsWith(`${round}-`)) found.add(fingerprint);
    next = body.next;
  }
  return found;
}

function expectEveryAckedDeliveryWhole(acked: Set<number>, stored: Set<string>, sent: number): void {
  for (let n = 0; n < sent; n++) {
    const present = Array.from({ length: ALERTS_PER_DELIVERY }, (_, i) => stored.has(`${n}-${i}`));
    if (acked.has(n)) expect(present, `delivery ${n} was acknowledged`).toEqual([true, true, true]);
    // One transaction per commit: a delivery is all there or not at all.
    else expect(new Set(present).size, `delivery ${n} stored in part`).toBe(1);
  }
}

describe.each([
  ['SIGKILL', [0, 4, 12]],
  ['SIGTERM', [4]],
] as const)('burnbook serve killed with %s mid-stream', (signal, delays) => {
  it('keeps every acknowledged delivery, whole', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'burnbook-durability-'));
    const rounds = delays.map((delayMs, i) => ({ delayMs, round: `${signal.toLowerCase()}${i}` }));
    const results = [];
    for (const { delayMs, round } of rounds) {
      server = await startBurnbook({ dataDir });
      const running = server;
      results.push(await fire(running.url, round, delayMs, () => process.kill(running.pid, signal)));
      await running.stop();
    }

    server = await startBurnbook({ dataDir });
    for (const [i, { acked, failed, sent }] of results.entries()) {
      const round = rounds[i]?.round ?? '';
      // The kill landed while requests were in flight, not after the stream ended.
      expect(failed).toBeGreaterThan(0);
      const stored = await storedFingerprints(server.url, round);
      const relative = new Set([...stored].map((f) => f.slice(round.length + 1)));
      expectEveryAckedDeliveryWhole(acked, relative, sent);
      console.log(
        `${signal} after ${rounds[i]?.delayMs} ms: ${sent} sent, ${acked.size} acknowledged, ` +
          `${failed} failed, ${stored.size / ALERTS_PER_DELIVERY} deliveries stored`,
      );
    }
  });
});
