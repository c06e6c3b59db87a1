import type { RoomRecord } from './room-record.ts';
import type { RoomRegistry } from './room-registry.ts';
import type { RoomsDeps } from './room-types.ts';
import type { RoomViews } from './room-views.ts';

/** What every part of the room service shares: its dependencies, the rooms held, their views and the record. */
export interface RoomContext {
  deps: RoomsDeps;
  registry: RoomRegistry;
  views: RoomViews;
  record: RoomRecord;
}
