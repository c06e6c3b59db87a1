/**
 * Link adaptation levels (issue 13), one scale per direction of one person's own link. The
 * client's controller (client/src/room/link-adaptation) decides; the server records and shows.
 */

/** Camera sent: 720p (all layers), 360p, 180p at 15 fps, none. */
export const sendLevels = ['high', 'medium', 'low', 'off'] as const;
/** Video received: by tile size; 180p with screen shares paused; only the featured camera at 180p; none. */
export const recvLevels = ['high', 'low', 'minimal', 'off'] as const;
export type SendLevel = (typeof sendLevels)[number];
export type RecvLevel = (typeof recvLevels)[number];

/**
 * Why a level changed: a figure of the person's own link, a stable period (step up), their own
 * choice, or 'sender': a receive step down taken back because a sender's own uplink turned out to
 * be where the loss came from.
 */
export const adaptReasons = ['loss', 'bandwidth', 'rtt', 'jitter', 'concealment', 'stable', 'user', 'sender'] as const;
export type AdaptReason = (typeof adaptReasons)[number];

/** What the person is told about their own link: good, weak (video reduced), voice only. */
export const linkVerdicts = ['good', 'weak', 'voice-only'] as const;
export type LinkVerdict = (typeof linkVerdicts)[number];

export function verdictOf(state: { send: SendLevel; recv: RecvLevel }): LinkVerdict {
  if (state.send === 'off' && state.recv === 'off') return 'voice-only';
  if (state.send !== 'high' || state.recv !== 'high') return 'weak';
  return 'good';
}
