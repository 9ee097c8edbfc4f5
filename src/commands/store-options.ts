import { openPostgresStore, redactedUrl } from '../alerts/store/postgres/store.ts';
import { openSqliteStore } from '../alerts/store/sqlite/store.ts';
import type { AlertStore, StoreHooks } from '../alerts/store/store.ts';
import type { FlagsOf } from './flags.ts';

/** Where the alert history lives, as `serve` was told: how to open it and how to name it to people. */
export interface StoreChoice {
  open: (hooks: StoreHooks) => AlertStore;
  /** `SQLite in data/` or `PostgreSQL at postgres://burnbook:***@db:5432/burnbook`; never a password. */
  description: string;
  /** The flag that chose it, for messages: `--data-dir data/`. */
  flag: string;
}

/**
 * PostgreSQL when --store (BURNBOOK_STORE) gives a postgres:// URL, else SQLite in --data-dir; a message for
 * the user when --store is something else.
 */
export function storeChoice(
  flags: Pick<FlagsOf<'serve' | 'postmortem'>, 'store' | 'dataDir'>,
): StoreChoice | string {
  const { store, dataDir } = flags;
  if (store === undefined || store === '') {
    return {
      open: (hooks) => openSqliteStore({ dataDir, ...hooks }),
      description: `SQLite in ${dataDir}`,
      flag: `--data-dir ${dataDir}`,
    };
  }
  if (!/^postgres(ql)?:\/\//.test(store)) {
    return '--store expects a PostgreSQL URL: postgres://user:password@host:5432/database (leave it out for SQLite in --data-dir)';
  }
  const shown = redactedUrl(store);
  return {
    open: (hooks) => openPostgresStore({ url: store, ...hooks }),
    description: `PostgreSQL at ${shown}`,
    flag: `--store ${shown}`,
  };
}
