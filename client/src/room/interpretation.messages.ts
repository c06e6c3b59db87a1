import type { InterpretationLanguage } from '../../../shared/domain/interpretation.ts';

/** The interpreter channel in the room (listener's choice, interpreter's switch, the mediator's badge). */
export const zh = {
  title: '传译',
  pair: '{from} ↔ {to}',
  original: '原声',
  interpretation: '传译',
  both: '两者',
  bothHint: '原声调低',
  listenFor: '听 {name}：',
  speech: '选择怎样听每个人说话：原声，只听翻译，或者两者一起听（原声小声）。',
  interpreting: '正在传译',
  startInterpreting: '开始传译',
  stopInterpreting: '以本人身份发言',
  interpreterSpeech: '按“开始传译”，您的声音进入传译频道；按“以本人身份发言”，大家听到您本人的声音。',
  listening: '收听',
  listensTo: '{name}：{mode}',
  pairFrom: '传译语言（方言）',
  pairTo: '对应语言',
} as const;

export const en: Record<keyof typeof zh, string> = {
  title: 'Interpretation',
  pair: '{from} ↔ {to}',
  original: 'Original',
  interpretation: 'Interpretation',
  both: 'Both',
  bothHint: 'original lowered',
  listenFor: 'Hear {name}:',
  speech: 'Choose how you hear each person: the original voice, the interpretation only, or both with the original quieter.',
  interpreting: 'Interpreting',
  startInterpreting: 'Start interpreting',
  stopInterpreting: 'Speak as myself',
  interpreterSpeech: 'Press "Start interpreting" and your voice goes into the interpretation channel; press "Speak as myself" and everyone hears you directly.',
  listening: 'Listening',
  listensTo: '{name}: {mode}',
  pairFrom: 'Interprets from',
  pairTo: 'and',
};

export const languages: Record<'zh' | 'en', Record<InterpretationLanguage, string>> = {
  zh: { putonghua: '普通话', minnan: '闽南语', wenzhou: '温州话', fuzhou: '福州话', cantonese: '粤语', hakka: '客家话' },
  en: { putonghua: 'Mandarin', minnan: 'Southern Min', wenzhou: 'Wenzhounese', fuzhou: 'Fuzhounese', cantonese: 'Cantonese', hakka: 'Hakka' },
};
