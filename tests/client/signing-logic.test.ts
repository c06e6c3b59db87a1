/**
 * Pure logic of the participant's signing and evidence pages: clause splitting, the signature
 * guard and PNG export check, the voice choice for reading aloud, where a participant stands in
 * an agreement, what changed between two snapshots, file checks, and the join sub-routes.
 */
import { describe, expect, it } from 'vitest';
import type { AgreementView } from '../../shared/api/agreements.ts';
import { evidenceMaxBytes } from '../../shared/api/evidence.ts';
import { joinPath, matchRoute } from '../../client/src/lib/routes.ts';
import { ApiError } from '../../client/src/lib/http.ts';
import { isHeading, speechTextOf, splitClauses } from '../../client/src/sign/clauses.ts';
import { isRetryable, recordingMimeType, retryDelayMs } from '../../client/src/sign/consent-upload.ts';
import { exportBox, inkOf, minimumInk, pngBase64FromDataUrl, signatureProblem, type Stroke } from '../../client/src/sign/signature.ts';
import { changesBetween, identityMethodFor, isStaleVersionError, myStanding, signedCount } from '../../client/src/sign/signer-state.ts';
import { fileProblem } from '../../client/src/sign/upload-checks.ts';
import { chineseVoice } from '../../client/src/sign/voices.ts';

/** The shape the server renders (render-agreement-text.ts): preamble, then 一、… sections. */
const rendered = [
  '船舶碰撞人身损害赔偿调解协议书',
  '案号：浙闽联调〔2026〕12号',
  '',
  '甲方：陈阿海，身份证号：11***************X',
  '乙方：福鼎远洋运输有限公司',
  '福鼎远洋运输有限公司的委托代理人：李律师（经授权代为签署本协议）',
  '涉案船舶：浙苍渔01234（MMSI 412345678）',
  '',
  '一、纠纷事实',
  '2026年10月1日凌晨，乙方所属货轮在南麂列岛海域与甲方渔船发生碰撞。',
  '',
  '二、损失与赔偿',
  '陈阿海（受伤）：医疗费人民币壹拾贰万元整。',
  '船舶损失：人民币柒拾万元整。',
  '',
  '三、履行方式与期限',
  '（一）福鼎远洋运输有限公司应于2026年12月31日前向甲方支付第一期赔偿款，金额人民币伍拾万元整。',
  '（二）福鼎远洋运输有限公司应于2027年3月31日前向甲方支付第二期赔偿款，金额人民币叁拾陆万元整。',
  '',
  '十一、生效',
  '本协议经各方签署后生效。',
].join('\n');

describe('splitClauses', () => {
  it('reads the preamble, then one clause per numbered section with its paragraphs', () => {
    const clauses = splitClauses(rendered);
    expect(clauses.map((c) => c.heading)).toEqual([null, '一、纠纷事实', '二、损失与赔偿', '三、履行方式与期限', '十一、生效']);
    expect(clauses[0]!.paragraphs).toEqual([
      '船舶碰撞人身损害赔偿调解协议书',
      '案号：浙闽联调〔2026〕12号',
      '甲方：陈阿海，身份证号：11***************X',
      '乙方：福鼎远洋运输有限公司',
      '福鼎远洋运输有限公司的委托代理人：李律师（经授权代为签署本协议）',
      '涉案船舶：浙苍渔01234（MMSI 412345678）',
    ]);
    // Sub-items (（一）…) stay inside their section.
    expect(clauses[3]!.paragraphs).toHaveLength(2);
    expect(clauses[2]!.paragraphs).toEqual(['陈阿海（受伤）：医疗费人民币壹拾贰万元整。', '船舶损失：人民币柒拾万元整。']);
  });

  it('loses no text and keeps the order', () => {
    const joined = splitClauses(rendered).flatMap((c) => [c.heading, ...c.paragraphs]).filter(Boolean).join('\n');
    expect(joined).toBe(rendered.split('\n').filter(Boolean).join('\n'));
  });

  it('accepts Windows line ends and stray spaces', () => {
    expect(splitClauses('一、甲\r\n  内容  \r\n二、乙\r内容二').map((c) => [c.heading, c.paragraphs])).toEqual([
      ['一、甲', ['内容']],
      ['二、乙', ['内容二']],
    ]);
  });

  it('knows 第N条 and 1. headings but not amounts or dates', () => {
    expect(isHeading('第一条 总则')).toBe(true);
    expect(isHeading('第12条')).toBe(true);
    expect(isHeading('1. 付款')).toBe(true);
    expect(isHeading('（一）付款')).toBe(false);
    expect(isHeading('2026年10月1日')).toBe(false);
    expect(isHeading('1.5万元')).toBe(false);
  });

  it('falls back to blank-line blocks, then to lines', () => {
    expect(splitClauses('第一段\n续\n\n第二段').map((c) => c.paragraphs)).toEqual([['第一段', '续'], ['第二段']]);
    expect(splitClauses('甲\n乙\n丙').map((c) => c.paragraphs)).toEqual([['甲'], ['乙'], ['丙']]);
    expect(splitClauses('')).toEqual([]);
    expect(splitClauses('\n\n  \n')).toEqual([]);
  });

  it('reads the heading and each paragraph aloud with pauses', () => {
    expect(speechTextOf({ heading: '一、纠纷事实', paragraphs: ['甲方渔船倾覆。', '乙方赔偿'] })).toBe('一、纠纷事实。\n甲方渔船倾覆。\n乙方赔偿');
  });
});

describe('signature guard and export', () => {
  const line = (x0: number, y0: number, x1: number, y1: number, steps = 10): Stroke =>
    Array.from({ length: steps + 1 }, (_, i) => ({ x: x0 + ((x1 - x0) * i) / steps, y: y0 + ((y1 - y0) * i) / steps }));

  it('refuses an empty pad and a tap', () => {
    expect(signatureProblem([])).toBe('empty');
    expect(signatureProblem([[]])).toBe('empty');
    expect(signatureProblem([[{ x: 10, y: 10 }]])).toBe('empty');
    expect(signatureProblem([[{ x: 10, y: 10 }, { x: 10, y: 10 }]])).toBe('empty');
  });

  it('refuses a slip of the finger but accepts a real scribble', () => {
    expect(signatureProblem([line(10, 10, 20, 12)])).toBe('too_small');
    // Long enough but all in one spot (a finger rubbing in place).
    expect(signatureProblem([[...line(10, 10, 20, 10), ...line(20, 10, 10, 10), ...line(10, 10, 20, 10), ...line(20, 10, 10, 10), ...line(10, 10, 20, 10), ...line(20, 10, 10, 10), ...line(10, 10, 20, 10)]])).toBe(
      'too_small',
    );
    expect(signatureProblem([line(20, 40, 120, 60), line(40, 20, 60, 90)])).toBeNull();
  });

  it('measures ink', () => {
    const ink = inkOf([line(0, 0, 30, 40), [{ x: 100, y: 5 }]]);
    expect(ink.length).toBeCloseTo(50);
    expect(ink.strokes).toBe(2);
    expect([ink.minX, ink.minY, ink.width, ink.height]).toEqual([0, 0, 100, 40]);
    expect(minimumInk.length).toBeGreaterThan(0);
  });

  it('exports a tight image no larger than 900×300', () => {
    const box = exportBox(inkOf([line(50, 50, 2050, 250)]), 4);
    expect(box.width).toBeLessThanOrEqual(900);
    expect(box.height).toBeLessThanOrEqual(300);
    expect(box.x).toBeLessThan(50);
    const small = exportBox(inkOf([line(10, 10, 110, 40)]), 3);
    expect(small.scale).toBe(2); // small signatures are drawn at twice the size, for a sharp PDF
  });

  it('strips the data: prefix and refuses anything that is not PNG base64 within the limit', () => {
    expect(pngBase64FromDataUrl('data:image/png;base64,iVBORw0KGgo=')).toBe('iVBORw0KGgo=');
    expect(pngBase64FromDataUrl('data:image/jpeg;base64,/9j/4AAQ')).toBeNull();
    expect(pngBase64FromDataUrl('data:,')).toBeNull(); // what an unusable canvas returns
    expect(pngBase64FromDataUrl('iVBORw0KGgo=')).toBeNull();
    expect(pngBase64FromDataUrl(`data:image/png;base64,${'A'.repeat(400_004)}`)).toBeNull();
  });
});

describe('reading aloud', () => {
  const v = (lang: string, name = lang, localService = true) => ({ lang, name, localService });
  it('prefers a local zh-CN voice, then other Mandarin, and has none without Chinese', () => {
    expect(chineseVoice([v('en-US'), v('zh-TW'), v('zh-CN', 'net', false), v('zh-CN', 'local')])?.name).toBe('local');
    expect(chineseVoice([v('en-US'), v('zh_CN', 'android')])?.name).toBe('android');
    expect(chineseVoice([v('en-GB'), v('cmn-Hans-CN', 'google')])?.name).toBe('google');
    expect(chineseVoice([v('zh-HK', 'hk'), v('zh-TW', 'tw')])?.name).toMatch(/hk|tw/);
    expect(chineseVoice([v('en-US'), v('de-DE')])).toBeUndefined();
    expect(chineseVoice([])).toBeUndefined();
  });
});

function agreement(overrides: Partial<AgreementView> = {}): AgreementView {
  return {
    id: 'a1',
    caseId: 'c1',
    caseNumber: '浙闽联调〔2026〕12号',
    templateId: 'collision_injury',
    title: '船舶碰撞人身损害赔偿调解协议书',
    status: 'signing',
    currentVersion: { id: 'v1', number: 1, sha256: 'a'.repeat(64), text: rendered, terms: {}, createdAt: '2026-11-30T02:00:00.000Z' },
    versions: [{ number: 1, sha256: 'a'.repeat(64), createdAt: '2026-11-30T02:00:00.000Z' }],
    requiredSigners: [
      { partyId: 'pA', partyName: '陈阿海', side: 'A', eligible: [{ participantId: 'fisher', name: '陈阿海', role: 'party' }], signature: null },
      {
        partyId: 'pB',
        partyName: '福鼎远洋运输有限公司',
        side: 'B',
        eligible: [
          { participantId: 'owner', name: '王总', role: 'party' },
          { participantId: 'lawyer', name: '李律师', role: 'agent' },
        ],
        signature: null,
      },
    ],
    voidedSignatures: [],
    comments: [],
    effectiveAt: null,
    applyBy: null,
    sealedDocument: null,
    confirmation: null,
    ...overrides,
  };
}

const signature = (id: string, signer: string, status: 'signed' | 'declined' = 'signed') => ({
  id,
  status,
  signerName: signer,
  signerParticipantId: signer,
  versionHash: 'a'.repeat(64),
  identityMethod: 'id_last4' as const,
  at: '2026-11-30T03:00:00.000Z',
  declineReason: status === 'declined' ? '金额太低' : null,
  imageSha256: null,
  consentRecording: null,
});

function withSignature(view: AgreementView, partyIndex: number, sig: ReturnType<typeof signature>): AgreementView {
  return { ...view, requiredSigners: view.requiredSigners.map((s, i) => (i === partyIndex ? { ...s, signature: sig } : s)) };
}

describe('where a participant stands', () => {
  it('lets each eligible person sign for their party, with the identity method the server expects', () => {
    const view = agreement();
    expect(myStanding(view, 'fisher')).toMatchObject({ kind: 'to_sign', role: 'party', signer: { partyId: 'pA' } });
    expect(myStanding(view, 'lawyer')).toMatchObject({ kind: 'to_sign', role: 'agent', signer: { partyId: 'pB' } });
    expect(myStanding(view, 'interpreter')).toEqual({ kind: 'reader' });
    expect(identityMethodFor('party')).toBe('id_last4');
    expect(identityMethodFor('agent')).toBe('one_time_code');
  });

  it('knows a party already answered, by this person or another for the same party', () => {
    const view = withSignature(agreement(), 1, signature('s1', 'lawyer'));
    expect(myStanding(view, 'lawyer')).toMatchObject({ kind: 'signed', byMe: true });
    expect(myStanding(view, 'owner')).toMatchObject({ kind: 'signed', byMe: false });
    expect(myStanding(withSignature(agreement(), 0, signature('s2', 'fisher', 'declined')), 'fisher')).toMatchObject({ kind: 'declined', byMe: true });
    expect(signedCount(view)).toBe(1);
  });

  it('does not offer signing outside the signing state', () => {
    expect(myStanding(agreement({ status: 'drafting' }), 'fisher')).toMatchObject({ kind: 'closed' });
    expect(myStanding(agreement({ status: 'withdrawn' }), 'fisher')).toMatchObject({ kind: 'closed' });
  });

  it('recognises a refusal because the version changed', () => {
    expect(isStaleVersionError({ code: 'CONFLICT', message: 'the agreement has a newer version: read it before signing' })).toBe(true);
    expect(isStaleVersionError({ code: 'CONFLICT', message: 'the agreement is being revised; wait for the new version' })).toBe(true);
    expect(isStaleVersionError({ code: 'CONFLICT', message: 'already signed for this party' })).toBe(false);
    expect(isStaleVersionError({ code: 'IDENTITY_REJECTED', message: 'newer version' })).toBe(false);
    expect(isStaleVersionError(null)).toBe(false);
  });
});

describe('what changed between two snapshots', () => {
  it('names a new version, the signatures it voided, and the status', () => {
    const before = withSignature(agreement(), 0, signature('s1', 'fisher'));
    const after = agreement({
      status: 'drafting',
      currentVersion: { ...before.currentVersion, id: 'v2', number: 2, sha256: 'b'.repeat(64) },
      voidedSignatures: [{ ...signature('s1', 'fisher'), status: 'voided' }],
    });
    expect(changesBetween(before, after)).toEqual([
      { kind: 'version', from: 1, to: 2 },
      { kind: 'voided', count: 1 },
      { kind: 'status', to: 'drafting' },
    ]);
  });

  it('names new comments and signatures once, and sealing', () => {
    const comment = { id: 'k1', versionNumber: 1, kind: 'change_request' as const, text: '改付款日', authorName: '李律师', createdAt: '2026-11-30T03:00:00.000Z' };
    const before = agreement();
    const after = withSignature(agreement({ comments: [comment] }), 1, signature('s9', '李律师'));
    expect(changesBetween(before, after)).toEqual([
      { kind: 'comment', author: '李律师', commentKind: 'change_request', versionNumber: 1 },
      { kind: 'signature', name: '李律师', status: 'signed' },
    ]);
    expect(changesBetween(after, after)).toEqual([]);
    const sealed = { ...after, status: 'sealed' as const, sealedDocument: { id: 'd', sha256: 'c'.repeat(64), byteSize: 1000, url: '/x' } };
    expect(changesBetween(after, sealed)).toEqual([{ kind: 'sealed' }]);
  });
});

describe('evidence file checks', () => {
  it('refuses empty, oversized and foreign files; trusts the server to sniff an unknown type', () => {
    expect(fileProblem({ size: 0, type: 'image/jpeg' })).toBe('empty');
    expect(fileProblem({ size: evidenceMaxBytes + 1, type: 'image/jpeg' })).toBe('too_large');
    expect(fileProblem({ size: 1000, type: 'image/heic' })).toBe('wrong_type');
    expect(fileProblem({ size: 1000, type: 'application/zip' })).toBe('wrong_type');
    expect(fileProblem({ size: evidenceMaxBytes, type: 'application/pdf' })).toBeNull();
    expect(fileProblem({ size: 1000, type: '' })).toBeNull();
  });
});

describe('join sub-pages', () => {
  it('matches and builds the signing and evidence pages under an invitation link', () => {
    expect(matchRoute('/j/tok_en-1')).toEqual({ name: 'join', token: 'tok_en-1' });
    expect(matchRoute('/j/tok/sign/agr-1')).toEqual({ name: 'join', token: 'tok', page: { kind: 'sign', agreementId: 'agr-1' } });
    expect(matchRoute('/j/tok/evidence')).toEqual({ name: 'join', token: 'tok', page: { kind: 'evidence' } });
    expect(matchRoute('/j/tok/sign')).toEqual({ name: 'notFound' });
    expect(matchRoute('/j/tok/other')).toEqual({ name: 'notFound' });
    for (const page of [undefined, { kind: 'sign' as const, agreementId: 'a b' }, { kind: 'evidence' as const }]) {
      expect(matchRoute(joinPath('tok_en-1', page))).toEqual(page ? { name: 'join', token: 'tok_en-1', page } : { name: 'join', token: 'tok_en-1' });
    }
  });
});

describe('spoken consent upload rules', () => {
  it('records Opus in WebM where the browser can, else in Ogg, else not at all', () => {
    expect(recordingMimeType(() => true)).toBe('audio/webm;codecs=opus');
    expect(recordingMimeType((t) => t.startsWith('audio/ogg'))).toBe('audio/ogg;codecs=opus');
    expect(recordingMimeType((t) => t.startsWith('audio/mp4'))).toBe('audio/mp4;codecs=mp4a.40.2');
    expect(recordingMimeType((t) => t === 'audio/mp4')).toBe('audio/mp4');
    expect(recordingMimeType((t) => t === 'audio/wav')).toBeNull();
  });

  it('retries with exponential backoff up to 30 s, only for the link or the server, never for a refused recording', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map(retryDelayMs)).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
    expect(isRetryable(new ApiError('NETWORK', 'offline'))).toBe(true);
    expect(isRetryable(new ApiError('INTERNAL', 'bad gateway', 502))).toBe(true);
    expect(isRetryable(new ApiError('RATE_LIMITED', 'slow down', 429))).toBe(true);
    expect(isRetryable(new ApiError('VALIDATION_FAILED', 'too long', 400, 'recording'))).toBe(false);
    expect(isRetryable(new ApiError('UNAUTHENTICATED', 'revoked', 401))).toBe(false);
    expect(isRetryable(new ApiError('CONFLICT', 'new version', 409))).toBe(false);
  });
});
