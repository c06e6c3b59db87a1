// Sample documents for the document tests and the sealing benchmark.
import { createHash } from 'node:crypto';
import { PNG } from 'pngjs';
import type { AgreementDocumentInput } from '../../../server/documents/agreement-pdf.ts';
import type { RulingDocumentInput } from '../../../server/documents/ruling-pdf.ts';

/** A handwriting-like stroke on a transparent background, as a PNG (deterministic per seed). */
export function signaturePng(seed: number, width = 240, height = 80): Uint8Array {
  const png = new PNG({ width, height });
  png.data.fill(0); // transparent
  const ink = (x: number, y: number) => {
    for (let dy = -2; dy <= 2; dy++) {
      for (let dx = -2; dx <= 2; dx++) {
        const px = Math.round(x + dx);
        const py = Math.round(y + dy);
        if (px < 0 || py < 0 || px >= width || py >= height || dx * dx + dy * dy > 5) continue;
        const i = (py * width + px) * 4;
        png.data[i] = 10;
        png.data[i + 1] = 20;
        png.data[i + 2] = 60;
        png.data[i + 3] = 255;
      }
    }
  };
  for (let t = 0; t <= 1; t += 0.0015) {
    const x = 15 + t * (width - 30);
    const y = height / 2 + Math.sin(t * Math.PI * (3 + seed)) * (height / 3) * (1 - 0.4 * t) + Math.cos(t * 17 + seed) * 4;
    ink(x, y);
  }
  return new Uint8Array(PNG.sync.write(png));
}

/**
 * Flips one byte inside the first signed range of a signed PDF, in a stream's data so that the
 * file still parses.
 */
export function flipSignedByte(pdf: Uint8Array): Uint8Array {
  const copy = Uint8Array.from(pdf);
  const text = Buffer.from(copy).toString('latin1');
  const byteRange = /\/ByteRange\s*\[\s*0\s+(\d+)/.exec(text);
  if (!byteRange) throw new Error('not signed');
  for (const match of text.matchAll(/(?<!end)stream\r?\n/g)) {
    const dataStart = match.index + match[0].length;
    const dataEnd = text.indexOf('endstream', dataStart);
    if (dataEnd - dataStart < 16 || dataEnd >= Number(byteRange[1])) continue;
    const at = dataStart + Math.floor((dataEnd - dataStart) / 2);
    copy[at] = copy[at]! ^ 0x01;
    return copy;
  }
  throw new Error('no stream inside the first signed range');
}

export const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest('hex');

export const VERSION_HASH = sha256('agreement version 3 of (2026)浙闽海调字第0117号');

/** A rare name character that AR PL SungtiL GB lacks (exercises the fallback font). */
export const RARE_NAME = '林堃';

const TERMS = [
  '甲方：陈阿海，男，汉族，1971年3月出生，住浙江省温州市苍南县霞关镇，系“浙苍渔00318”号渔船船东。',
  `乙方：福鼎远洋运输有限公司，住所地福建省福鼎市太姥山镇，法定代表人${RARE_NAME}，系“闽鼎货2209”号货船的所有人。`,
  '2026年9月14日凌晨4时许，“闽鼎货2209”轮在台山列岛以东约6海里（北纬27°02′、东经120°31′）与在该海域锚泊作业的“浙苍渔00318”号渔船发生碰撞，致渔船左舷破损进水、部分网具灭失，无人员伤亡。经双方申请，浙闽海上矛盾纠纷联调中心于2026年10月8日组织云调解，在调解员主持下，双方本着平等自愿、互谅互让的原则，达成如下协议：',
  '第一条　乙方一次性赔偿甲方船舶修理费、网具损失、渔获损失及停产期间的误工损失，共计人民币捌拾陆万元整（¥860,000.00）。',
  '第二条　上述款项分两期支付：第一期人民币伍拾万元整（¥500,000.00）于本协议生效之日起十五日内支付；第二期人民币叁拾陆万元整（¥360,000.00）于2026年12月31日前支付。款项汇入甲方指定的账户（开户行：中国农业银行苍南霞关支行，户名：陈阿海）。',
  '第三条　乙方逾期支付任何一期款项的，应按逾期金额每日万分之五向甲方支付违约金；逾期超过三十日的，甲方有权就未付款项全部一次性申请强制执行。',
  '第四条　甲方收到全部款项后，双方就本次碰撞事故再无其他争议，甲方不再就此向乙方、“闽鼎货2209”轮船长及船员主张任何权利。',
  '第五条　双方同意在本协议生效之日起三十日内，共同向宁波海事法院申请司法确认。',
  '第六条　本协议经双方签字（含电子签名）后生效，一式三份，甲、乙双方及调解中心各执一份，电子文本与纸质文本具有同等效力。',
  'The parties confirm that this Agreement was read aloud to them in Chinese during the video session, and that each party understood its terms (English summary for the insurer, P&I reference PI-2026/0917-ZJ).',
];

export function agreementInput(overrides: Partial<AgreementDocumentInput> = {}, extraParagraphs = 0): AgreementDocumentInput {
  const images = [signaturePng(1), signaturePng(2)];
  const text = [...TERMS];
  for (let i = 0; i < extraParagraphs; i++) {
    text.push(`附${i + 1}　双方确认，调解过程中提交的证据材料（航行数据记录仪VDR数据、AIS轨迹、现场照片共${12 + i}份）已经双方质证，对其真实性均无异议；上述材料由调解中心存档备查，不作为本协议的组成部分。`);
  }
  return {
    title: '海上纠纷调解协议书',
    caseNumber: '（2026）浙闽海调字第0117号',
    centerName: '浙闽海上矛盾纠纷联调中心',
    facts: [
      { label: '纠纷类型', value: '船舶碰撞' },
      { label: '事故时间', value: '2026年9月14日 04:10（北京时间）' },
      { label: '事故位置', value: '北纬27°02′，东经120°31′（台山列岛以东约6海里）' },
      { label: '甲方', value: '陈阿海（“浙苍渔00318”号渔船船东）' },
      { label: '乙方', value: `福鼎远洋运输有限公司（法定代表人：${RARE_NAME}）` },
      { label: '涉案船舶', value: '“闽鼎货2209”轮，MMSI 413998201，船籍港福鼎；“浙苍渔00318”号渔船，船籍港苍南' },
      { label: '主管法院', value: '宁波海事法院' },
    ],
    text: text.join('\n'),
    signatures: [
      {
        signerName: '陈阿海',
        signerRole: '当事人',
        partyName: '陈阿海',
        signedAt: '2026-10-08T03:21:40Z',
        identityMethod: '身份证后四位核验',
        ip: '112.17.239.44',
        userAgent:
          'Mozilla/5.0 (Linux; Android 13; V2219A Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/116.0.0.0 Mobile Safari/537.36 MMWEBID/4508 MicroMessenger/8.0.47.2560(0x28002F36) WeChat/arm64 Weixin NetType/4G Language/zh_CN ABI/arm64',
        versionHash: VERSION_HASH,
        imagePng: images[0]!,
        imageSha256: sha256(images[0]!),
      },
      {
        signerName: RARE_NAME,
        signerRole: '法定代表人',
        partyName: '福鼎远洋运输有限公司',
        signedAt: '2026-10-08T03:24:02Z',
        identityMethod: '调解员口述验证码',
        ip: '2409:8a28:e62:c5d0::1b',
        userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 Safari/537.36',
        versionHash: VERSION_HASH,
        imagePng: images[1]!,
        imageSha256: sha256(images[1]!),
      },
    ],
    versionNumber: 3,
    versionHash: VERSION_HASH,
    generatedAt: '2026-10-08T03:30:00Z',
    ...overrides,
  };
}

export function rulingInput(overrides: Partial<RulingDocumentInput> = {}): RulingDocumentInput {
  return {
    courtName: '宁波海事法院',
    rulingNumber: '（2026）浙72民特341号',
    applicants: [
      { name: '陈阿海', description: '男，1971年3月出生，汉族，住浙江省温州市苍南县霞关镇。' },
      { name: '福鼎远洋运输有限公司', description: `住所地福建省福鼎市太姥山镇。法定代表人：${RARE_NAME}，该公司总经理。` },
    ],
    agreement: {
      title: '海上纠纷调解协议书',
      caseNumber: '（2026）浙闽海调字第0117号',
      centerName: '浙闽海上矛盾纠纷联调中心',
      versionHash: VERSION_HASH,
    },
    text: [
      '申请人陈阿海与申请人福鼎远洋运输有限公司于2026年10月15日向本院申请司法确认调解协议。本院于同日受理后，依法进行了审查。',
      '本院经审查认为，申请人达成的调解协议符合司法确认调解协议的法定条件。依照《中华人民共和国民事诉讼法》第二百零六条、第二百零七条规定，裁定如下：',
      '申请人陈阿海与申请人福鼎远洋运输有限公司于2026年10月8日经浙闽海上矛盾纠纷联调中心主持达成的调解协议有效。',
      '当事人应当按照调解协议的约定自觉履行义务。一方当事人拒绝履行或者未全部履行的，对方当事人可以向人民法院申请执行。',
    ].join('\n'),
    judgeName: '王海燕',
    clerkName: '周启航',
    date: '2026-10-20',
    generatedAt: '2026-10-20T02:00:00Z',
    ...overrides,
  };
}
