import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { GroupCommit, QueueClosedError } from '../src/alerts/store/group-commit.ts';
import { random } from './support/random.ts';

/** A store that takes `ms` per commit and records which items each commit held and how many ran at once. */
function recordingStore(ms: () => number) {
  const commits: string[][] = [];
  let running = 0;
  let mostAtOnce = 0;
  const inFlightKeys = new Set<string>();
  const overlaps: string[] = [];
  return {
    commits,
    overlaps,
    mostAtOnce: () => mostAtOnce,
    async commit(items: readonly string[]): Promise<string[]> {
      running++;
      mostAtOnce = Math.max(mostAtOnce, running);
      const keys = items.map((item) => item.split('#')[0] as string);
      for (const key of keys) if (inFlightKeys.has(key)) overlaps.push(key);
      for (const key of keys) inFlightKeys.add(key);
      commits.push([...items]);
      await sleep(ms());
      for (const key of keys) inFlightKeys.delete(key);
      running--;
      return items.map((item) => `done ${item}`);
    },
  };
}

describe('group commit', () => {
  it('one commit in flight by default: what arrives meanwhile forms the next batch', async () => {
    const store = recordingStore(() => 20);
    const commits = new GroupCommit<string, string>({
      commit: store.commit,
      maxBatch: 100,
      retrySingly: () => false,
    });
    const first = commits.submit('a#1');
    await sleep(5);
    const rest = ['b#1', 'c#1', 'd#1'].map((item) => commits.submit(item));
    expect(await Promise.all([first, ...rest])).toEqual(['done a#1', 'done b#1', 'done c#1', 'done d#1']);
    expect(store.commits).toEqual([['a#1'], ['b#1', 'c#1', 'd#1']]);
    expect(store.mostAtOnce()).toBe(1);
  });

  it('with several in flight, items sharing a key are never committed at once, and keep their order', async () => {
    const next = random(7);
    const store = recordingStore(() => 1 + Math.floor(next() * 10));
    const commits = new GroupCommit<string, string>({
      commit: store.commit,
      maxBatch: 4,
      inFlight: 3,
      keys: (item) => [item.split('#')[0] as string],
      retrySingly: () => false,
    });
    const submitted: string[] = [];
    const answers: Array<Promise<string>> = [];
    for (let round = 0; round < 40; round++) {
      for (let i = 0; i < 1 + Math.floor(next() * 4); i++) {
        const item = `k${Math.floor(next() * 5)}#${round}.${i}`;
        submitted.push(item);
        answers.push(commits.submit(item));
      }
      await sleep(Math.floor(next() * 4));
    }
    await commits.close();
    expect(await Promise.all(answers)).toEqual(submitted.map((item) => `done ${item}`));
    expect(store.overlaps).toEqual([]);
    expect(store.mostAtOnce()).toBeGreaterThan(1);
    expect(store.commits.every((batch) => batch.length <= 4)).toBe(true);
    // Per key, committed in the order submitted.
    const committed = store.commits.flat();
    for (const key of ['k0', 'k1', 'k2', 'k3', 'k4']) {
      const of = (items: string[]) => items.filter((item) => item.startsWith(`${key}#`));
      expect(of(committed)).toEqual(of(submitted));
    }
    await expect(commits.submit('k0#late')).rejects.toBeInstanceOf(QueueClosedError);
  });
});
