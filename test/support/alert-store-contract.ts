import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type AlertmanagerAlert,
  type AlertmanagerPayload,
  parseAlertmanagerPayload,
} from '../../src/alerts/payload.ts';
import { LATE_VIEW_MS } from '../../src/alerts/store/late-view.ts';
import type { AlertRow, AlertStore, Delivery, EvidenceInput } from '../../src/alerts/store/store.ts';
import { labelSet } from '../../src/prometheus/label-set.ts';

/**
 * What every alert store backend must do, as the server relies on it (src/alerts/store/store.ts). A backend
 * passes by calling `alertStoreContract('<name>', open)` from its own test file; `open` gives a fresh,
 * empty store and a way to throw it away.
 */

export interface OpenedStore {
  store: AlertStore;
  /** Removes what the store left behind; the store is closed already, or was never usable. */
  discard(): Promise<void>;
}

export const T0 = Date.UTC(2024, 4, 1, 10, 0, 0);
export const MINUTE = 60_000;

export function recorded(name: string): AlertmanagerPayload {
  const result = parseAlertmanagerPayload(
    JSON.parse(readFileSync(new URL(`../fixtures/alertmanager/${name}`, import.meta.url), 'utf8')),
  );
  if (!result.ok) throw new Error(result.problems.join('\n'));
  return result.payload;
}

export function alert(fingerprint: string, change: Partial<AlertmanagerAlert> = {}): AlertmanagerAlert {
  return {
    status: 'firing',
    labels: {
      alertname: 'availability-fast-burn',
      severity: 'page',
      slo_service: 'checkout',
      slo: 'availability',
      slo_tier: 'fast',
      tenant: fingerprint,
    },
    annotations: { summary: 'burning' },
    startsAt: T0,
    endsAt: null,
    generatorURL: 'http://prometheus:9090/graph',
    fingerprint,
    ...change,
  };
}

export const resolved = (a: AlertmanagerAlert, endsAt = a.startsAt + MINUTE): AlertmanagerAlert => ({
  ...a,
  status: 'resolved',
  endsAt,
});

export function body(...alerts: AlertmanagerAlert[]): AlertmanagerPayload {
  return {
    version: '4',
    groupKey: '{}:{slo="availability", slo_service="checkout"}',
    status: alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved',
    receiver: 'burnbook',
    groupLabels: {},
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://alertmanager:9093',
    alerts,
  };
}

/** An alert no store can keep: a status Alertmanager never sends. Past the payload schema only by force. */
export const poisoned = (fingerprint: string) =>
  ({ ...alert(fingerprint), status: 'pending' }) as unknown as AlertmanagerAlert;

/** One evidence row for an alert: a first-look query's answer. */
export const someEvidence = (alertId: number): EvidenceInput => ({
  alertId,
  queryName: 'q',
  expr: 'up',
  result: 1,
  error: null,
  capturedAt: T0,
});

const delivery = (payload: AlertmanagerPayload, receivedAt: number): Delivery => ({ payload, receivedAt });

export function alertStoreContract(name: string, open: () => Promise<OpenedStore>): void {
  describe(`${name} alert store: the AlertStore contract`, () => {
    let opened: OpenedStore;
    let store: AlertStore;
    let closed = false;
    const ingest = (payload: AlertmanagerPayload, receivedAt: number) =>
      store.ingest(delivery(payload, receivedAt));

    beforeEach(async () => {
      opened = await open();
      store = opened.store;
      closed = false;
      await store.ready();
    });

    afterEach(async () => {
      if (!closed) await store.close();
      await opened.discard();
    });

    async function only(): Promise<AlertRow> {
      const rows = await store.list();
      expect(rows).toHaveLength(1);
      return rows[0] as AlertRow;
    }

    describe('ingest', () => {
      it('stores the recorded firing body with its filter columns', async () => {
        const result = await ingest(recorded('firing.json'), T0);
        expect(result).toMatchObject({ stored: 2, updated: 0, unchanged: 0 });
        expect(result.newlyFiring.map((a) => a.labels.tenant).sort()).toEqual(['acme', 'globex']);
        const [firing] = result.newlyFiring;
        const row = await store.get(firing?.id ?? -1);
        expect(row).toMatchObject({
          status: 'firing',
          endsAt: null,
          alertname: 'availability-fast-burn',
          severity: 'page',
          sloService: 'checkout',
          slo: 'availability',
          sloTier: 'fast',
          firstReceivedAt: T0,
          lastReceivedAt: T0,
          receiveCount: 1,
        });
        expect(row?.events).toEqual([{ kind: 'fired', at: T0 }]);
      });

      it('resolves the recorded alerts with the recorded resolved body', async () => {
        await ingest(recorded('firing.json'), T0);
        const result = await ingest(recorded('resolved.json'), T0 + MINUTE);
        expect(result).toMatchObject({ stored: 0, updated: 2, unchanged: 0, newlyFiring: [] });
        for (const row of await store.list()) {
          expect(row.status).toBe('resolved');
          expect(row.endsAt).toBeGreaterThan(row.startsAt);
          expect((await store.get(row.id))?.events.map((e) => e.kind)).toEqual(['fired', 'resolved']);
        }
        expect(await store.counts()).toEqual({ firingBySeverity: {}, total: 2 });
      });

      it('stores a body delivered 5 times once, counting the deliveries', async () => {
        const payload = body(alert('a'));
        const results = [];
        for (const i of [0, 1, 2, 3, 4]) results.push(await ingest(payload, T0 + i * 1000));
        expect(results[0]).toMatchObject({ stored: 1, unchanged: 0 });
        for (const result of results.slice(1)) {
          expect(result).toEqual({ stored: 0, updated: 0, unchanged: 1, newlyFiring: [] });
        }
        const row = await only();
        expect(row).toMatchObject({ firstReceivedAt: T0, lastReceivedAt: T0 + 4000, receiveCount: 5 });
        expect((await store.get(row.id))?.events).toHaveLength(1);
        expect((await store.counts()).total).toBe(1);
      });

      it('stores the same body delivered at the same moment many times once', async () => {
        const payload = body(alert('a'), alert('b'));
        const results = await Promise.all(Array.from({ length: 10 }, () => ingest(payload, T0)));
        expect(results.reduce((n, r) => n + r.stored, 0)).toBe(2);
        expect(results.flatMap((r) => r.newlyFiring)).toHaveLength(2);
        const rows = await store.list();
        expect(rows.map((r) => r.receiveCount)).toEqual([10, 10]);
        for (const row of rows)
          expect((await store.get(row.id))?.events).toEqual([{ kind: 'fired', at: T0 }]);
      });

      it('records resolve and re-fire of the same occurrence as events', async () => {
        const firing = alert('a');
        await ingest(body(firing), T0);
        expect(await ingest(body(resolved(firing)), T0 + MINUTE)).toMatchObject({
          updated: 1,
          newlyFiring: [],
        });
        expect(await only()).toMatchObject({ status: 'resolved', endsAt: T0 + MINUTE });
        // Repeated resolved deliveries change nothing.
        expect(await ingest(body(resolved(firing)), T0 + 2 * MINUTE)).toMatchObject({ unchanged: 1 });

        const refire = await ingest(body(firing), T0 + 3 * MINUTE);
        expect(refire).toMatchObject({ stored: 0, updated: 1, unchanged: 0 });
        expect(refire.newlyFiring).toHaveLength(1);
        expect(await store.get(refire.newlyFiring[0]?.id ?? -1)).toMatchObject({
          status: 'firing',
          endsAt: null,
          receiveCount: 4,
        });
        expect((await store.get((await only()).id))?.events).toEqual([
          { kind: 'fired', at: T0 },
          { kind: 'resolved', at: T0 + MINUTE },
          { kind: 'refired', at: T0 + 3 * MINUTE },
        ]);
      });

      it("takes another Alertmanager's 'firing' soon after one resolved the alert for that peer's late view", async () => {
        const a = alert('a');
        const fromPeer = (payload: AlertmanagerPayload) => ({
          ...payload,
          externalURL: 'http://alertmanager-2:9093',
        });
        await ingest(body(a), T0);
        await ingest(body(resolved(a)), T0 + MINUTE);
        const late = await ingest(fromPeer(body(a)), T0 + MINUTE + 2_000);
        expect(late).toEqual({ stored: 0, updated: 0, unchanged: 1, newlyFiring: [] });
        const row = await only();
        expect(row).toMatchObject({
          status: 'resolved',
          receiveCount: 3,
          lastReceivedAt: T0 + MINUTE + 2_000,
        });
        expect((await store.get(row.id))?.events.map((e) => e.kind)).toEqual(['fired', 'resolved']);
        // Long after the resolution it is a re-fire (Alertmanager resolved it too early), whoever says so.
        const refire = await ingest(fromPeer(body(a)), T0 + MINUTE + LATE_VIEW_MS + 1);
        expect(refire).toMatchObject({ stored: 0, updated: 1, unchanged: 0 });
        expect(refire.newlyFiring).toHaveLength(1);
        expect((await store.get(row.id))?.events.map((e) => e.kind)).toEqual([
          'fired',
          'resolved',
          'refired',
        ]);
      });

      it('keeps a new start of the same fingerprint as a new occurrence', async () => {
        await ingest(body(resolved(alert('a'))), T0);
        const result = await ingest(body(alert('a', { startsAt: T0 + 10 * MINUTE })), T0 + 10 * MINUTE);
        expect(result).toMatchObject({ stored: 1 });
        expect(result.newlyFiring).toHaveLength(1);
        expect((await store.list()).map((a) => a.status)).toEqual(['firing', 'resolved']);
      });

      it('updates changed annotations without a status event', async () => {
        await ingest(body(alert('a')), T0);
        const result = await ingest(body(alert('a', { annotations: { summary: 'burning faster' } })), T0 + 1);
        expect(result).toEqual({ stored: 0, updated: 1, unchanged: 0, newlyFiring: [] });
        const row = await only();
        expect(row.annotations).toEqual({ summary: 'burning faster' });
        expect(row.receiveCount).toBe(2);
        expect((await store.get(row.id))?.events).toHaveLength(1);
      });

      it('stores an alert first seen resolved without calling it newly firing', async () => {
        const result = await ingest(body(resolved(alert('a'))), T0);
        expect(result).toMatchObject({ stored: 1, newlyFiring: [] });
        expect((await store.get((await only()).id))?.events).toEqual([{ kind: 'resolved', at: T0 }]);
      });

      it('keeps labels and annotations as data, whatever their names', async () => {
        const odd = { alertname: 'odd', constructor: 'c', 'a.b-c': '1', '': 'empty', 'ü €': '✓' };
        await ingest(body(alert('a', { labels: odd, annotations: { toString: 'x' } })), T0);
        expect(await only()).toMatchObject({ labels: odd, annotations: { toString: 'x' } });
      });

      it('keeps characters a database may balk at (NUL, a lone surrogate) as data; a repeat is a repeat', async () => {
        const odd = { alertname: 'nul\u0000in-name', lone: '\ud800x', pair: '😀' };
        const a = alert('a', {
          labels: odd,
          annotations: { summary: '\u0000' },
          generatorURL: 'http://x/\u0000',
        });
        await ingest(body(a), T0);
        expect(await ingest(body(a), T0 + 1)).toMatchObject({ unchanged: 1 });
        expect(await only()).toMatchObject({
          labels: odd,
          annotations: { summary: '\u0000' },
          receiveCount: 2,
        });
      });

      it('keeps a label and an annotation named __proto__ as data', async () => {
        // As the payload schema hands them over: own keys of bare objects (label-set.ts).
        const labels = labelSet(JSON.parse('{"alertname": "proto", "__proto__": "p"}'));
        const annotations = labelSet(JSON.parse('{"__proto__": "q"}'));
        await ingest(body(alert('a', { labels, annotations })), T0);
        const row = await only();
        expect(Object.entries(row.labels)).toEqual([
          ['alertname', 'proto'],
          ['__proto__', 'p'],
        ]);
        expect(Object.entries(row.annotations)).toEqual([['__proto__', 'q']]);
      });

      it('records the deliveries Alertmanager truncated, newest first, and prunes them with the alerts', async () => {
        const day = 24 * 60 * MINUTE;
        await ingest(body(alert('a')), T0);
        await ingest({ ...body(alert('b')), truncatedAlerts: 3, groupLabels: { slo: 'x' } }, T0 + MINUTE);
        await ingest({ ...body(alert('c'), alert('d')), truncatedAlerts: 7 }, T0 + 2 * MINUTE);
        expect(await store.truncatedDeliveries(10)).toEqual([
          {
            receivedAt: T0 + 2 * MINUTE,
            groupKey: body().groupKey,
            groupLabels: {},
            receiver: 'burnbook',
            status: 'firing',
            alerts: 2,
            truncatedAlerts: 7,
          },
          expect.objectContaining({
            receivedAt: T0 + MINUTE,
            groupLabels: { slo: 'x' },
            alerts: 1,
            truncatedAlerts: 3,
          }),
        ]);
        expect(await store.truncatedDeliveries(1)).toHaveLength(1);
        await store.prune(day, T0 + day + 90 * 1000);
        expect((await store.truncatedDeliveries(10)).map((d) => d.truncatedAlerts)).toEqual([7]);
      });

      it('stores a body of 2,500 alerts whole, numbered in the order they arrived, and its repeat once', async () => {
        const many = Array.from({ length: 2500 }, (_, i) => alert(`z${String(2500 - i).padStart(4, '0')}`));
        expect(await ingest(body(...many), T0)).toMatchObject({ stored: 2500 });
        const repeat = await ingest(body(...many.map((a) => resolved(a))), T0 + MINUTE);
        expect(repeat).toMatchObject({ stored: 0, updated: 2500 });
        expect(repeat.newlyFiring).toEqual([]);
        // One start: newest id first, so the reverse of the order in the body.
        const rows = await store.list({ limit: 3 });
        expect(rows.map((r) => r.fingerprint)).toEqual(['z0001', 'z0002', 'z0003']);
        expect(rows.every((r) => r.status === 'resolved' && r.receiveCount === 2)).toBe(true);
        expect((await store.counts()).total).toBe(2500);
      });

      it('stores all of a body or nothing, and calls that failure permanent', async () => {
        await ingest(body(alert('a')), T0);
        const failure = await ingest(body(resolved(alert('a')), alert('b'), poisoned('c')), T0 + 1).then(
          () => undefined,
          (error: unknown) => error,
        );
        expect(failure).toBeInstanceOf(Error);
        expect(store.isTransient(failure)).toBe(false);
        expect(await store.list()).toEqual([
          expect.objectContaining({ fingerprint: 'a', status: 'firing', receiveCount: 1 }),
        ]);
      });

      it('a body that can never be stored fails alone: the bodies arriving with it are stored', async () => {
        const outcomes = await Promise.allSettled([
          ingest(body(alert('a')), T0),
          ingest(body(poisoned('b')), T0),
          ingest(body(alert('c')), T0),
        ]);
        expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
        expect((await store.list()).map((a) => a.fingerprint).sort()).toEqual(['a', 'c']);
      });
    });

    describe('list', () => {
      beforeEach(async () => {
        const at = (minutes: number) => T0 + minutes * MINUTE;
        await ingest(
          body(
            alert('old-firing', { startsAt: at(0) }),
            resolved(alert('resolved-1', { startsAt: at(1) })),
            alert('new-firing', { startsAt: at(2), labels: { alertname: 'HostDown', severity: 'ticket' } }),
            resolved(
              alert('resolved-3', {
                startsAt: at(3),
                labels: { alertname: 'x', slo_service: 'search', slo: 'latency' },
                annotations: { runbook_url: 'https://wiki.example.com/search-latency' },
              }),
            ),
            // Alerts of one rule evaluation share their start: paging must not skip any of them.
            ...['t1', 't2', 't3', 't4'].map((f) => resolved(alert(f, { startsAt: at(4) }))),
          ),
          T0,
        );
      });

      const names = (rows: AlertRow[]) => rows.map((a) => a.fingerprint);

      it('lists firing alerts first, then newest start first', async () => {
        expect(names(await store.list())).toEqual([
          'new-firing',
          'old-firing',
          't4',
          't3',
          't2',
          't1',
          'resolved-3',
          'resolved-1',
        ]);
      });

      it('filters by status, service, slo, severity, alertname and runbook_url', async () => {
        const list = async (query: Parameters<AlertStore['list']>[0]) => names(await store.list(query));
        expect(await list({ status: 'firing' })).toEqual(['new-firing', 'old-firing']);
        expect(await list({ status: 'resolved', limit: 2 })).toEqual(['t4', 't3']);
        expect(await list({ service: 'search' })).toEqual(['resolved-3']);
        expect(await list({ service: 'checkout', slo: 'availability', status: 'firing' })).toEqual([
          'old-firing',
        ]);
        expect(await list({ slo: 'latency' })).toEqual(['resolved-3']);
        expect(await list({ severity: 'ticket' })).toEqual(['new-firing']);
        expect(await list({ alertname: 'HostDown' })).toEqual(['new-firing']);
        expect(await list({ runbookUrl: 'https://wiki.example.com/search-latency' })).toEqual(['resolved-3']);
        expect(await list({ alertname: 'nothing' })).toEqual([]);
        expect(await list({ limit: 0 })).toEqual([]);
      });

      it('pages with the last row as cursor, across statuses and equal starts', async () => {
        const seen: string[] = [];
        let page = await store.list({ limit: 3 });
        while (page.length > 0) {
          seen.push(...names(page));
          page = await store.list({ limit: 3, before: page.at(-1) });
        }
        const all = await store.list();
        expect(seen).toEqual(names(all));
        const lastFiring = (await store.list({ status: 'firing' })).at(-1);
        expect(names(await store.list({ before: lastFiring, limit: 1 }))).toEqual(['t4']);
        expect(names(await store.list({ status: 'firing', before: all.at(-1) }))).toEqual([]);
      });
    });

    describe('evidence, retention, counts and health', () => {
      it('keeps evidence with its alert', async () => {
        const [row] = (await ingest(body(alert('a')), T0)).newlyFiring;
        const alertId = row?.id ?? -1;
        const result = { resultType: 'vector', result: [{ metric: {}, value: [1, '0.08'] }] };
        const ids = await store.addEvidence(
          { alertId, queryName: 'confirm', expr: 'slo:x', result, error: null, capturedAt: T0 },
          {
            alertId,
            queryName: 'by route',
            expr: 'sum by (route) (y)',
            result: null,
            error: 'timeout',
            capturedAt: T0 + 1,
          },
        );
        expect(ids).toHaveLength(2);
        expect((await store.get(alertId))?.evidence).toEqual([
          { id: ids[0], queryName: 'confirm', expr: 'slo:x', result, error: null, capturedAt: T0 },
          {
            id: ids[1],
            queryName: 'by route',
            expr: 'sum by (route) (y)',
            result: null,
            error: 'timeout',
            capturedAt: T0 + 1,
          },
        ]);
        expect(await store.get(alertId + 1000)).toBeUndefined();
      });

      it('prunes resolved alerts that ended before the cutoff, in batches, and never a firing one', async () => {
        const day = 24 * 60 * MINUTE;
        await ingest(
          body(
            resolved(alert('ended-long-ago', { startsAt: T0 }), T0 + MINUTE),
            resolved(alert('ended-long-ago-too', { startsAt: T0 }), T0 + 2 * MINUTE),
            resolved(alert('ended-recently', { startsAt: T0 }), T0 + 9 * day),
            alert('firing-since-long-ago', { startsAt: T0, labels: { severity: 'page' } }),
            alert('firing-without-severity', { startsAt: T0, labels: {} }),
          ),
          T0,
        );
        const old = (await store.list()).find((a) => a.fingerprint === 'ended-long-ago');
        await store.addEvidence(someEvidence(old?.id ?? -1));

        expect(await store.prune(7 * day, T0 + 10 * day, 1)).toBe(1);
        expect(await store.prune(7 * day, T0 + 10 * day)).toBe(1);
        expect((await store.list()).map((a) => a.fingerprint)).toEqual([
          'firing-without-severity',
          'firing-since-long-ago',
          'ended-recently',
        ]);
        expect(await store.get(old?.id ?? -1)).toBeUndefined();
        expect(await store.counts()).toEqual({ firingBySeverity: { page: 1, '': 1 }, total: 3 });
        expect(await store.prune(7 * day, T0 + 10 * day)).toBe(0);
      });

      it('is healthy while open; once closed it refuses writes with an error it calls transient', async () => {
        expect(await store.health()).toEqual({ ok: true });
        await store.close();
        closed = true;
        const failure = await ingest(body(alert('a')), T0).then(
          () => undefined,
          (error: unknown) => error,
        );
        expect(failure).toBeInstanceOf(Error);
        expect(store.isTransient(failure)).toBe(true);
        expect((await store.health()).ok).toBe(false);
      });

      it('calls an error it did not raise permanent', () => {
        expect(store.isTransient(new Error('something else'))).toBe(false);
        expect(store.isTransient('not even an error')).toBe(false);
      });
    });
  });
}
