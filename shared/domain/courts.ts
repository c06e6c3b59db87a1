/**
 * The maritime courts competent for the Zhejiang–Fujian sea border, with their dispatched
 * tribunals (派出法庭). Cangnan (Wenzhou) falls to Ningbo's Wenzhou tribunal, Fuding (Ningde)
 * to Xiamen's Ningde tribunal.
 */
export const courts = {
  ningbo: { name: '宁波海事法院', nameEn: 'Ningbo Maritime Court', parent: null },
  'ningbo.wenzhou': { name: '宁波海事法院温州法庭', nameEn: 'Ningbo Maritime Court, Wenzhou Tribunal', parent: 'ningbo' },
  'ningbo.taizhou': { name: '宁波海事法院台州法庭', nameEn: 'Ningbo Maritime Court, Taizhou Tribunal', parent: 'ningbo' },
  'ningbo.zhoushan': { name: '宁波海事法院舟山法庭', nameEn: 'Ningbo Maritime Court, Zhoushan Tribunal', parent: 'ningbo' },
  xiamen: { name: '厦门海事法院', nameEn: 'Xiamen Maritime Court', parent: null },
  'xiamen.ningde': { name: '厦门海事法院宁德法庭', nameEn: 'Xiamen Maritime Court, Ningde Tribunal', parent: 'xiamen' },
  'xiamen.fuzhou': { name: '厦门海事法院福州法庭', nameEn: 'Xiamen Maritime Court, Fuzhou Tribunal', parent: 'xiamen' },
  'xiamen.quanzhou': { name: '厦门海事法院泉州法庭', nameEn: 'Xiamen Maritime Court, Quanzhou Tribunal', parent: 'xiamen' },
} as const satisfies Record<string, { name: string; nameEn: string; parent: string | null }>;

export type CourtCode = keyof typeof courts;
export const courtCodes = Object.keys(courts) as [CourtCode, ...CourtCode[]];

/** Court codes whose cases staff of `court` may see: the court itself and, for a court, its tribunals. */
export function courtJurisdiction(court: CourtCode): CourtCode[] {
  return courtCodes.filter((code) => code === court || courts[code].parent === court);
}
