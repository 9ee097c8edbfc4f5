import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Polls `probe` until `ok` holds for what it returned, and returns that value: for servers and
 * background work a test cannot await. Throws naming `what` and the last value once `timeoutMs` passed.
 */
export async function until<T>(
  what: string,
  probe: () => T | Promise<T>,
  ok: (value: T) => boolean = Boolean,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (ok(value)) return value;
    if (Date.now() > deadline) {
      throw new Error(
        `timed out waiting for ${what}; last: ${JSON.stringify(value, null, 1)?.slice(0, 3000)}`,
      );
    }
    await sleep(50);
  }
}
