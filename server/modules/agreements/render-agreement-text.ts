import { courts, type CourtCode } from '../../../shared/domain/courts.ts';
import { beijingParts } from '../../../shared/beijing-time.ts';
import type { AgreementDraft, TemplateTerms } from '../../../shared/domain/agreements.ts';
import { amountClause } from './amount-in-words.ts';

/** Facts of the case the text refers to, looked up by the service; nothing here reads a clock. */
export interface RenderContext {
  caseNumber: string;
  competentCourt: CourtCode;
  parties: Map<string, { name: string; kind: 'person' | 'organisation'; idNumberMasked: string | null }>;
  vessels: Map<string, { name: string; registrationNumber: string | null; mmsi: string | null; portOfRegistry: string | null }>;
  agents: Map<string, { name: string }>;
  evidence: Map<string, { fileName: string; sha256: string; kind: string }>;
}

export const templateTitles: Record<AgreementDraft['templateId'], string> = {
  collision_injury: '船舶碰撞人身损害赔偿调解协议书',
  fishing_gear_damage: '渔具损害赔偿调解协议书',
  crew_wages: '船员劳务报酬纠纷调解协议书',
  catch_sale: '渔获物买卖纠纷调解协议书',
  general: '海上纠纷调解协议书',
};

const chineseOrdinals = ['一', '二', '三', '四', '五', '六', '七', '八', '九', '十', '十一', '十二', '十三', '十四', '十五'];

function dateZh(isoDate: string): string {
  const [y, m, d] = isoDate.split('-').map(Number);
  return `${y}年${m}月${d}日`;
}

function dateTimeZh(iso: string): string {
  // Beijing time, formatted without the runtime's locale data so the text is the same everywhere.
  const t = beijingParts(new Date(iso));
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${t.year}年${t.month}月${t.day}日${pad(t.hour)}时${pad(t.minute)}分`;
}

class Missing extends Error {}

/**
 * The agreement's text from its template and terms: a pure function, so the same draft always
 * renders to the same text and hash.
 */
export function renderAgreementText(draft: AgreementDraft, ctx: RenderContext): string {
  const t = draft.terms;
  const party = (id: string) => ctx.parties.get(id) ?? raise(`party ${id}`);
  const name = (id: string) => party(id).name;
  const lines: string[] = [];
  const sections: [string, string[]][] = [];

  lines.push(templateTitles[draft.templateId], `案号：${ctx.caseNumber}`, '');
  for (const [label, ids] of [['甲方', t.partiesA], ['乙方', t.partiesB]] as const) {
    ids.forEach((id, i) => {
      const p = party(id);
      const idPart = p.idNumberMasked ? `，${p.kind === 'person' ? '身份证号' : '统一社会信用代码'}：${p.idNumberMasked}` : '';
      lines.push(`${label}${ids.length > 1 ? i + 1 : ''}：${p.name}${idPart}`);
    });
  }
  for (const agent of t.agents) {
    const who = ctx.agents.get(agent.participantId) ?? raise(`agent ${agent.participantId}`);
    lines.push(`${name(agent.forPartyId)}的委托代理人：${who.name}${agent.maySign ? '（经授权代为签署本协议）' : ''}`);
  }
  for (const id of t.vesselIds) {
    const v = ctx.vessels.get(id) ?? raise(`vessel ${id}`);
    const details = [v.registrationNumber && `船舶登记号${v.registrationNumber}`, v.mmsi && `MMSI ${v.mmsi}`, v.portOfRegistry && `船籍港${v.portOfRegistry}`].filter(Boolean);
    lines.push(`涉案船舶：${v.name}${details.length ? `（${details.join('，')}）` : ''}`);
  }

  sections.push(['纠纷事实', [t.facts]]);
  sections.push(['损失与赔偿', templateSpecific(draft, name)]);
  sections.push([
    '履行方式与期限',
    t.obligations.map((o, i) => `（${chineseOrdinals[i] ?? i + 1}）${name(o.obligorPartyId)}应于${dateZh(o.dueDate)}前${o.description}${o.amountFen !== undefined ? `，金额${amountClause(o.amountFen)}` : ''}。`),
  ]);
  const total = t.obligations.reduce((sum, o) => sum + (o.amountFen ?? 0), 0);
  if (total > 0) sections[sections.length - 1]![1].push(`以上款项合计${amountClause(total)}。`);
  sections.push([
    '违约责任',
    [t.defaultClause || '任何一方未按本协议约定的期限和金额履行义务的，对方有权就未履行部分向人民法院申请强制执行；逾期付款的，应按全国银行间同业拆借中心公布的一年期贷款市场报价利率支付逾期利息。'],
  ]);
  if (t.confidential) sections.push(['保密', ['各方对调解过程中知悉的对方信息及本协议内容负有保密义务，法律另有规定的除外。']]);
  if (t.citedEvidenceIds.length) {
    sections.push([
      '所依据的鉴定意见和证据',
      t.citedEvidenceIds.map((id) => {
        const e = ctx.evidence.get(id) ?? raise(`evidence ${id}`);
        return `${e.kind === 'appraisal_report' ? '鉴定报告' : '证据'}《${e.fileName}》（SHA-256：${e.sha256}）`;
      }),
    ]);
  }
  if (t.applyForConfirmation) {
    sections.push(['司法确认', [`各方同意自本协议生效之日起三十日内，共同向${courts[ctx.competentCourt].name}申请司法确认。`]]);
  }
  if (t.otherClauses.length) sections.push(['其他约定', t.otherClauses]);
  sections.push(['生效', ['本协议经各方签署后生效。各方确认系自愿达成本协议，已充分理解协议内容及法律后果。本协议以电子形式签署，各方签名及签署信息附于协议之后。']]);

  sections.forEach(([title, body], i) => {
    lines.push('', `${chineseOrdinals[i]}、${title}`, ...body);
  });
  return lines.join('\n');
}

function templateSpecific(draft: AgreementDraft, name: (id: string) => string): string[] {
  switch (draft.templateId) {
    case 'collision_injury': {
      const t = draft.terms as TemplateTerms<'collision_injury'>;
      const out = [`事故发生于${dateTimeZh(t.collisionAt)}。`];
      for (const p of t.persons) {
        const items: [string, number][] = [
          ['医疗费', p.medicalFen],
          ['误工费', p.lostIncomeFen],
          ['残疾赔偿金', p.disabilityCompensationFen],
          ['丧葬费', p.funeralFen],
          ['死亡赔偿金', p.deathCompensationFen],
          ['被扶养人生活费', p.dependentsFen],
          ['精神损害抚慰金', p.mentalDamageFen],
        ];
        const listed = items.filter(([, v]) => v > 0).map(([k, v]) => `${k}${amountClause(v)}`);
        out.push(`${p.name}（${p.outcome === 'death' ? '死亡' : '受伤'}）：${listed.length ? listed.join('；') : '无人身损害赔偿项目'}。`);
      }
      if (t.vesselLossFen > 0) out.push(`船舶损失：${amountClause(t.vesselLossFen)}。`);
      if (t.otherLossFen > 0) out.push(`其他损失：${amountClause(t.otherLossFen)}。`);
      return out;
    }
    case 'fishing_gear_damage': {
      const t = draft.terms as TemplateTerms<'fishing_gear_damage'>;
      return t.gear.map((g) => `${g.kind}${g.quantity}件（顶），单价${amountClause(g.unitPriceFen)}，小计${amountClause(g.quantity * g.unitPriceFen)}。`);
    }
    case 'crew_wages': {
      const t = draft.terms as TemplateTerms<'crew_wages'>;
      return t.crew.map((c) => `船员${c.name}自${c.fromMonth.replace('-', '年')}月至${c.toMonth.replace('-', '年')}月未结清劳务报酬${amountClause(c.unpaidFen)}。`);
    }
    case 'catch_sale': {
      const t = draft.terms as TemplateTerms<'catch_sale'>;
      return t.catches.map((c) => `${c.species}${c.weightKg}千克，单价每千克${amountClause(c.pricePerKgFen)}，计${amountClause(Math.round(c.weightKg * c.pricePerKgFen))}。`);
    }
    case 'general':
      return [`各方就上述纠纷的损失及赔偿经协商一致，按下列约定履行。涉及各方：${[...draft.terms.partiesA, ...draft.terms.partiesB].map(name).join('、')}。`];
  }
}

function raise(what: string): never {
  throw new Missing(`${what} is not part of this case`);
}

export { Missing as RenderReferenceError };
