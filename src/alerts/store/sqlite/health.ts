/**
 * Whether the SQLite store can write, for its health(): it cannot while its latest write failed for a
 * fault of the store (faults.ts), or for good when the server started read-only (start.ts). A store whose
 * writes failed is probed again when health is asked, so it turns healthy once the disk has room even if
 * no webhook comes to prove it; a damaged one stays unhealthy until it is dealt with.
 */
import { classifySqliteError, type StoreFault, storeFaultAdvice } from './faults.ts';

export type WriteStatus =
  | { writable: true }
  | {
      writable: false;
      fault: StoreFault;
      /** What the operator should know and do. */
      message: string;
      /** Milliseconds since the epoch. */
      since: number;
    };

export interface WriteHealthOptions {
  file: string;
  /** Set when the server started read-only: the store stays unwritable until a restart. */
  startFault?: { fault: StoreFault; message: string };
  /** A write that changes nothing (AlertWriter.probe). */
  probe?: () => Promise<unknown>;
  /** Least time between probes; default 5 s. */
  probeEveryMs?: number;
}

export interface WriteHealth {
  status(): WriteStatus;
  /** status(), after a new probe when the latest write failed and the last probe is old enough. */
  check(): Promise<WriteStatus>;
  /** Passes a write's outcome through, learning from it. */
  track<T>(write: Promise<T>): Promise<T>;
}

export function createWriteHealth(options: WriteHealthOptions): WriteHealth {
  const probeEveryMs = options.probeEveryMs ?? 5_000;
  let status: WriteStatus = options.startFault
    ? { writable: false, ...options.startFault, since: Date.now() }
    : { writable: true };
  let lastProbe = 0;

  const learn = (error: unknown) => {
    const fault = classifySqliteError(error);
    if (fault.kind !== 'unwritable' && fault.kind !== 'damaged') return;
    const since = status.writable ? Date.now() : status.since;
    status = { writable: false, fault, message: storeFaultAdvice(fault, options.file), since };
  };

  const track = <T>(write: Promise<T>): Promise<T> =>
    write.then(
      (value) => {
        if (!options.startFault && !(status.writable === false && status.fault.kind === 'damaged')) {
          status = { writable: true };
        }
        return value;
      },
      (error: unknown) => {
        learn(error);
        throw error;
      },
    );

  return {
    status: () => status,
    track,
    async check() {
      const { probe } = options;
      if (status.writable || options.startFault || status.fault.kind === 'damaged' || !probe) return status;
      if (Date.now() - lastProbe >= probeEveryMs) {
        lastProbe = Date.now();
        await track(probe()).catch(() => {});
      }
      return status;
    },
  };
}
