import QRCode from 'qrcode';
import { beijingTimeZone } from '../../../shared/beijing-time.ts';
import { courts, type CourtCode } from '../../../shared/domain/courts.ts';

const shanghaiTime = new Intl.DateTimeFormat('zh-CN', {
  timeZone: beijingTimeZone,
  month: 'long',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  hour12: false,
});

export function joinLink(publicUrl: string, token: string) {
  return `${publicUrl}/j/${token}`;
}

/** The 解纷码: a QR code of the link, as an SVG document. */
export function qrSvg(link: string): Promise<string> {
  return QRCode.toString(link, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
}

/**
 * Ready-to-send SMS in Chinese; times are Beijing time, where every participant lives. For a
 * court's confirmation hearing (`hearingCourt`) the text names the court that holds it.
 */
export function smsText(args: { name: string; caseNumber: string; scheduledAt: Date; link: string; expiresAt: Date; hearingCourt?: CourtCode }) {
  const when = shanghaiTime.format(args.scheduledAt);
  const what = args.hearingCourt
    ? `您申请司法确认的纠纷${args.caseNumber}，${courts[args.hearingCourt].name}定于${when}在线询问。`
    : `您参与的纠纷${args.caseNumber}定于${when}在线调解。`;
  return (
    `【海桥云调解】${args.name}您好：${what}` +
    `请用手机浏览器打开 ${args.link} 进入（${shanghaiTime.format(args.expiresAt)}前有效）。此链接仅供您本人使用，请勿转发。`
  );
}

/** A session reminder (the day before, an hour before), with the participant's own link again. */
export function reminderText(args: { name: string; caseNumber: string; scheduledAt: Date; link: string }) {
  return `【海桥云调解】${args.name}您好：您参与的纠纷${args.caseNumber}将于${shanghaiTime.format(args.scheduledAt)}在线进行，请届时用手机浏览器打开 ${args.link} 进入。`;
}
