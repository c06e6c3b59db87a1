/** The transfer machine and the tree rules (placement, where a holder may send a case), from the design. */
import { describe, expect, it } from 'vitest';
import { placementRefusal, transferMachine, transferStatuses, transferTargets, type TreeNode } from '../../../shared/domain/transfers.ts';

describe('transfer machine', () => {
  const expected = { requested: ['accepted', 'returned'], accepted: [], returned: [] } as const;
  for (const from of transferStatuses)
    for (const to of transferStatuses)
      it(`${from} → ${to}`, () => expect(transferMachine.canTransition(from, to)).toBe((expected[from] as readonly string[]).includes(to)));
});

describe('placement', () => {
  const center = (level: TreeNode['level']) => ({ kind: 'mediation_center' as const, level });
  const court = { kind: 'maritime_court' as const, level: null };
  it.each([
    [center('village'), center('town'), true],
    [center('village'), center('county'), true],
    [center('town'), center('village'), false],
    [center('town'), center('town'), false],
    [center('county'), court, true],
    [center(null), court, true],
    [center(null), center(null), true],
    [center('town'), center(null), false],
    [court, court, true],
    [court, center('county'), false],
  ])('%o under %o: %s', (child, parent, fits) => expect(placementRefusal(child, parent) === null).toBe(fits));
});

describe('transfer targets', () => {
  const node = (id: string, level: TreeNode['level'], parentId: string | null, kind: TreeNode['kind'] = 'mediation_center'): TreeNode => ({ id, kind, level, parentId });
  const all = [
    node('ningbo', null, null, 'maritime_court'),
    node('xiamen', null, null, 'maritime_court'),
    node('cangnan', 'county', 'ningbo'),
    node('fuding', 'county', 'xiamen'),
    node('xiaguan', 'town', 'cangnan'),
    node('mazhan', 'town', 'cangnan'),
    node('shacheng', 'town', 'fuding'),
    node('room', 'village', 'xiaguan'),
  ];
  const of = (id: string) => {
    const t = transferTargets(all.find((n) => n.id === id)!, all);
    return { escalate: t.escalate?.id ?? null, handOver: t.handOver.map((n) => n.id).sort() };
  };
  it('a village room escalates to its town', () => expect(of('room')).toEqual({ escalate: 'xiaguan', handOver: [] }));
  it('a town escalates to its county, hands to the other towns (either province) and down to its rooms', () =>
    expect(of('xiaguan')).toEqual({ escalate: 'cangnan', handOver: ['mazhan', 'room', 'shacheng'] }));
  it('a county center does not escalate to the court; it hands across the border and down', () =>
    expect(of('cangnan')).toEqual({ escalate: null, handOver: ['fuding', 'mazhan', 'xiaguan'] }));
});
