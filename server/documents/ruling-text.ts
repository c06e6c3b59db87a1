// The legal wording of a civil ruling (民事裁定书) on an application for judicial confirmation of
// a mediation agreement (民事诉讼法 第二百零五条、第二百零六条): the reasoning and the decision, as
// paragraphs for ruling-pdf.ts. The court's reason is the judge's own text.
import { beijingDate } from './format.ts';

export interface RulingTextInput {
  decision: 'confirmed' | 'rejected';
  /** ISO date-times; shown as Beijing dates. */
  filedAt: string;
  /** When the court accepted the application (needed for a confirmation). */
  acceptedAt?: string;
  /** The judge's reasoning, if any. */
  reason: string | null;
  centerName: string;
  caseNumber: string;
  /** SHA-256 of the agreement version the ruling is about. */
  versionHash: string;
}

/** The ruling's body text, paragraphs separated by \n. */
export function rulingDecisionText(input: RulingTextInput): string {
  const reason = input.reason ?? '';
  if (input.decision === 'confirmed') {
    return `申请人于${beijingDate(input.filedAt)}向本院申请司法确认，本院于${beijingDate(input.acceptedAt!)}受理。经审查，申请人在${input.centerName}主持下达成的调解协议（案号${input.caseNumber}，协议版本摘要${input.versionHash}）系自愿达成，内容不违反法律强制性规定，不损害国家利益、社会公共利益和他人合法权益。\n${reason}\n依照《中华人民共和国民事诉讼法》第二百零五条、第二百零六条的规定，裁定如下：\n申请人达成的上述调解协议有效。当事人应当按照调解协议的约定自觉履行义务。一方当事人拒绝履行或者未全部履行的，对方当事人可以向人民法院申请强制执行。`;
  }
  return `申请人于${beijingDate(input.filedAt)}向本院申请司法确认。经审查：${reason}\n依照《中华人民共和国民事诉讼法》第二百零六条的规定，裁定如下：\n驳回申请人的司法确认申请。当事人可以通过调解方式变更原调解协议或者达成新的调解协议，也可以向人民法院提起诉讼。`;
}
