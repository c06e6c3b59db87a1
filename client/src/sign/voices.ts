/** Picking the voice that reads a Chinese agreement aloud (pure, for tests). */
export interface VoiceLike {
  lang: string;
  name: string;
  localService?: boolean;
  default?: boolean;
}

/** The best Chinese voice: zh-CN first, then any Mandarin (zh-*, cmn-*), local before network. */
export function chineseVoice<V extends VoiceLike>(voices: readonly V[]): V | undefined {
  const lang = (v: V) => v.lang.replace('_', '-').toLowerCase();
  const rank = (v: V) => {
    const l = lang(v);
    const base = l === 'zh-cn' || l === 'cmn-hans-cn' ? 0 : l.startsWith('zh-hans') || l === 'zh' ? 1 : l.startsWith('cmn') ? 2 : l === 'zh-tw' || l === 'zh-hk' ? 3 : 4;
    return base * 2 + (v.localService === false ? 1 : 0);
  };
  return [...voices].filter((v) => /^(zh|cmn)\b/i.test(lang(v))).sort((a, b) => rank(a) - rank(b))[0];
}
