import { describe, expect, it } from 'vitest';
import { isLateView, LATE_VIEW_MS } from '../src/alerts/store/late-view.ts';

const AM1 = 'http://alertmanager-1:9093';
const AM2 = 'http://alertmanager-2:9093';
const T = 1_000_000;

describe("a 'firing' for an occurrence stored as resolved: another Alertmanager's late view, or a re-fire", () => {
  it.each([
    ['never resolved', undefined, AM2, T, false],
    ['the resolver again, at once', { by: AM1, at: T }, AM1, T + 1_000, false],
    ['the resolver again, much later', { by: AM1, at: T }, AM1, T + 2 * LATE_VIEW_MS, false],
    ['a peer, a moment after', { by: AM1, at: T }, AM2, T + 2_000, true],
    ['a peer, in the same batch, received a moment before', { by: AM1, at: T }, AM2, T - 5, true],
    ['a peer, at the edge of the window', { by: AM1, at: T }, AM2, T + LATE_VIEW_MS, true],
    ['a peer, past the window', { by: AM1, at: T }, AM2, T + LATE_VIEW_MS + 1, false],
    ['a peer sharing the external URL (behind one load balancer)', { by: AM1, at: T }, AM1, T + 2_000, false],
  ] as const)('%s', (_case, resolution, sender, at, late) => {
    expect(isLateView(resolution, sender, at)).toBe(late);
  });
});
