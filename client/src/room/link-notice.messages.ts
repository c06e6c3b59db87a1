/** The party's own link notice, beyond the shared link.* strings: what their weak downlink stopped. */
export const zh = {
  paused: '为保证声音，已暂停 {n} 个小画面（主画面和共享屏幕照常）。',
} as const;

export const en: Record<keyof typeof zh, string> = {
  paused: 'To keep the sound clear, {n} small pictures are paused (the main picture and shared screens stay).',
};
