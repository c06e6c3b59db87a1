/**
 * What a person on a weak downlink stops receiving, level by level (issue 12.2; the rule is in
 * docs/architecture.md, "Weak-link adaptation"): first every camera drops to its bottom simulcast
 * layer (180p), then the cameras of everyone but the main person are paused (thumbnails), and
 * at voice only the room's audio-only mode stops all video. A shared screen (evidence being
 * shown, one encoding: it has no lower layer) is never paused before voice only: it is what the
 * mediator is showing on purpose.
 */
import type { LinkLevel } from '../../../../shared/realtime.ts';

export interface ReceivedVideo {
  consumerId: string;
  peerId: string;
  source: string;
}

export interface ReceivePlan {
  /** The highest simulcast layer of any camera received (null: the tiles decide alone). */
  layerCap: number | null;
  /** Video consumers to pause for the link's sake. */
  paused: Set<string>;
}

/**
 * The main camera: the spotlight's, else the one of the person who spoke last that has one,
 * else the first received (a two-person session keeps its only other camera).
 */
export function mainCameraPeer(videos: ReceivedVideo[], spotlightPeerId: string | null, lastSpeakers: string[]): string | null {
  const cameras = new Set(videos.filter((v) => v.source === 'camera').map((v) => v.peerId));
  if (spotlightPeerId && cameras.has(spotlightPeerId)) return spotlightPeerId;
  for (const peerId of lastSpeakers) if (cameras.has(peerId)) return peerId;
  return videos.find((v) => v.source === 'camera')?.peerId ?? null;
}

export function receivePlan(level: LinkLevel, videos: ReceivedVideo[], mainPeerId: string | null): ReceivePlan {
  if (level === 'full') return { layerCap: null, paused: new Set() };
  const paused = new Set<string>();
  if (level === 'low' || level === 'voice') {
    for (const v of videos) if (v.source === 'camera' && v.peerId !== mainPeerId) paused.add(v.consumerId);
  }
  return { layerCap: 0, paused };
}
