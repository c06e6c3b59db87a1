/** The room control that opens the agreement (the panel's own strings travel with the panel). */
export const zh = {
  'control.agreement': '协议',
  'control.agreementUpdated': '协议有更新',
} as const;

export const en: Record<keyof typeof zh, string> = {
  'control.agreement': 'Agreement',
  'control.agreementUpdated': 'The agreement was updated',
};
