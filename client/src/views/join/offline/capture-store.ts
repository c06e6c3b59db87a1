/**
 * Statements and photos captured on the phone, kept in IndexedDB (through `idb`) until the server
 * has them: they survive a reload, a closed tab and hours with no link.
 */
import { type DBSchema, type IDBPDatabase, openDB } from 'idb';

/** waiting: to be sent when there is a link; sending: on its way; sent: the case has it; refused: the server said no (and why). */
type CaptureState = 'waiting' | 'sending' | 'sent' | 'refused';

export interface CapturedItem {
  id: string;
  /** The invitation it was captured under (the upload is made as that participant). */
  token: string;
  kind: 'voice' | 'photo';
  /** The bytes, until the server has them. */
  blob: Blob | null;
  fileName: string;
  /** SHA-256 of the bytes, taken at capture: the server checks the upload against it. */
  sha256: string;
  capturedAt: string;
  latitude?: number;
  longitude?: number;
  state: CaptureState;
  attempts: number;
  /** The server's error code and reason, when refused. */
  refusalCode?: string;
  refusal?: string;
}

interface Schema extends DBSchema {
  items: { key: string; value: CapturedItem; indexes: { token: string } };
}

let opened: Promise<IDBPDatabase<Schema>> | undefined;
const db = () =>
  (opened ??= openDB<Schema>('haiqiao-statements', 1, {
    upgrade(database) {
      database.createObjectStore('items', { keyPath: 'id' }).createIndex('token', 'token');
    },
  }));

export async function itemsOf(token: string): Promise<CapturedItem[]> {
  const items = await (await db()).getAllFromIndex('items', 'token', token);
  return items.sort((a, b) => a.capturedAt.localeCompare(b.capturedAt));
}

export async function saveItem(item: CapturedItem): Promise<void> {
  await (await db()).put('items', item);
}
