import type { InterpretationLanguage } from '../../../shared/domain/interpretation.ts';

/** The names of the languages an interpreter works between, per locale. */
export const languageNames: Record<'zh' | 'en', Record<InterpretationLanguage, string>> = {
  zh: { putonghua: '普通话', minnan: '闽南语', wenzhou: '温州话', fuzhou: '福州话', cantonese: '粤语', hakka: '客家话' },
  en: { putonghua: 'Mandarin', minnan: 'Southern Min', wenzhou: 'Wenzhounese', fuzhou: 'Fuzhounese', cantonese: 'Cantonese', hakka: 'Hakka' },
};
