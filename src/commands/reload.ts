import { existsSync, type FSWatcher, watch } from 'node:fs';

/** Editors write a file in several steps (truncate, write, rename): one reload for a burst of changes. */
const SETTLE_MS = 300;

export interface Reloader {
  close(): void;
  /** Resolves once no reload is running. */
  idle(): Promise<void>;
}

/**
 * Calls `reload` on SIGHUP and when anything under `paths` (spec files or directories, the runbooks directory)
 * changes, after the changes settle. Reloads never overlap: a change during one queues one more.
 * `reload` is told why (`SIGHUP`, or the path that changed).
 */
export function watchForReload(
  paths: string[],
  reload: (why: string) => Promise<void>,
  onError: (error: Error) => void,
): Reloader {
  let running: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  let reason = '';
  const schedule = (why: string, delayMs: number) => {
    reason = why;
    clearTimeout(timer);
    timer = setTimeout(() => {
      running = running.then(() => reload(reason)).catch(onError);
    }, delayMs);
  };
  const onHangup = () => schedule('SIGHUP', 0);
  process.on('SIGHUP', onHangup);
  const watchers: FSWatcher[] = [];
  for (const path of new Set(paths)) {
    if (!existsSync(path)) continue;
    try {
      const watcher = watch(path, { recursive: true }, (_event, file) =>
        schedule(`${file ? `${path.replace(/\/$/, '')}/${file}` : path} changed`, SETTLE_MS),
      );
      // A watched directory that goes away ends its watch; SIGHUP still reloads.
      watcher.on('error', () => watcher.close());
      watchers.push(watcher);
    } catch {
      // Too many watches (inotify limits): SIGHUP still reloads.
    }
  }
  return {
    close() {
      process.off('SIGHUP', onHangup);
      clearTimeout(timer);
      for (const watcher of watchers) watcher.close();
    },
    idle: () => running,
  };
}
