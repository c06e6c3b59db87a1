/** When the join page tells a WeChat user to open the phone's browser (pure detection rules). */
import { describe, expect, it } from 'vitest';
import { isWeChat, wechatBlocksMedia } from '../../client/src/plain/wechat.ts';

const wechatIphone = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.49(0x18003129) NetType/4G Language/zh_CN';
const wechatAndroid = 'Mozilla/5.0 (Linux; Android 13; V2203A Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/111.0.5563.116 Mobile Safari/537.36 XWEB/1110017 MMWEBSDK/20231202 MMWEBID/2585 MicroMessenger/8.0.47.2560(0x28002F30) WeChat/arm64 Weixin NetType/4G Language/zh_CN ABI/arm64';
const chromeAndroid = 'Mozilla/5.0 (Linux; Android 13; V2203A) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36';
const safariIphone = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1';

describe('WeChat in-app browser', () => {
  it('is recognised by MicroMessenger/ only', () => {
    expect([wechatIphone, wechatAndroid].map(isWeChat)).toEqual([true, true]);
    expect([chromeAndroid, safariIphone, 'Mozilla/5.0 MicroMessengerFan'].map(isWeChat)).toEqual([false, false, false]);
  });

  it('blocks media on iPhone always, on Android only without getUserMedia, and never outside WeChat', () => {
    expect(wechatBlocksMedia({ userAgent: wechatIphone, hasGetUserMedia: true })).toBe(true);
    expect(wechatBlocksMedia({ userAgent: wechatAndroid, hasGetUserMedia: false })).toBe(true);
    expect(wechatBlocksMedia({ userAgent: wechatAndroid, hasGetUserMedia: true })).toBe(false);
    expect(wechatBlocksMedia({ userAgent: chromeAndroid, hasGetUserMedia: false })).toBe(false);
    expect(wechatBlocksMedia({ userAgent: safariIphone, hasGetUserMedia: true })).toBe(false);
  });
});
