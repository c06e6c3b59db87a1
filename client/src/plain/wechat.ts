/**
 * WeChat's in-app browser (user agent "MicroMessenger"). Many people open the SMS or chat link
 * there. On iPhone it gives a page no camera or microphone; on Android some versions have no
 * getUserMedia at all. Pure, for tests.
 */
export interface BrowserFacts {
  userAgent: string;
  /** navigator.mediaDevices.getUserMedia exists. */
  hasGetUserMedia: boolean;
}

export const isWeChat = (userAgent: string): boolean => /\bMicroMessenger\//i.test(userAgent);

const isIos = (userAgent: string): boolean => /\b(iPhone|iPad|iPod)\b/.test(userAgent);

/** In WeChat, where the camera and microphone cannot be used: the person should open the phone's browser. */
export function wechatBlocksMedia(facts: BrowserFacts): boolean {
  return isWeChat(facts.userAgent) && (!facts.hasGetUserMedia || isIos(facts.userAgent));
}

export function browserFacts(): BrowserFacts {
  return {
    userAgent: typeof navigator === 'undefined' ? '' : navigator.userAgent,
    hasGetUserMedia: typeof navigator !== 'undefined' && Boolean(navigator.mediaDevices?.getUserMedia),
  };
}
