import type { RoomRecord } from './room-record';
import type { RoomRegistry } from './room-registry';
import type { RoomsDeps } from './room-types';
import type { RoomViews } from './room-views';

/** What every part of the room service shares: its dependencies, the rooms held, their views and the record. */
export interface RoomContext {
  deps: RoomsDeps;
  registry: RoomRegistry;
  views: RoomViews;
  record: RoomRecord;
}
