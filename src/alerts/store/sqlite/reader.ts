import { existsSync } from 'node:fs';
import type { AlertStore } from '../store.ts';
import { alertStoreFile, openSqliteDatabase } from './database.ts';

/** What a command that only reads the history needs of a store. */
export type AlertStoreReader = Pick<AlertStore, 'list' | 'get'> & { close(): Promise<void> | void };

/**
 * The history in `<dataDir>/burnbook.sqlite`, opened read-only: a command can read it while `serve` writes
 * it (WAL lets readers run beside the writer), and it changes nothing. Throws when there is no store there or
 * it cannot be read, with the file in the message.
 */
export function openSqliteReader(dataDir: string): AlertStoreReader {
  const file = alertStoreFile(dataDir);
  if (!existsSync(file)) throw new Error(`no alert store at ${file}: give the --data-dir serve uses`);
  let database: ReturnType<typeof openSqliteDatabase>;
  try {
    database = openSqliteDatabase(dataDir, { readonly: true });
  } catch (error) {
    throw new Error(`cannot read the alert store ${file}: ${(error as Error).message}`);
  }
  return {
    list: async (query) => database.list(query),
    get: async (id) => database.get(id),
    close: () => database.close(),
  };
}
