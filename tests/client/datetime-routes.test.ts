import { describe, expect, it } from 'vitest';
import { matchRoute } from '../../client/src/lib/routes.ts';
import { homePath } from '../../client/src/lib/staff-paths.ts';
import { deadlineDate, deadlineTone, runningDeadline } from '../../client/src/views/court/court-format.ts';
import type { Me } from '../../shared/api/auth.ts';

describe('matchRoute', () => {
  it('matches every route', () => {
    expect(matchRoute('/')).toEqual({ name: 'caseList' });
    expect(matchRoute('/login')).toEqual({ name: 'login' });
    expect(matchRoute('/admin')).toEqual({ name: 'admin' });
    expect(matchRoute('/cases/new')).toEqual({ name: 'caseNew' });
    expect(matchRoute('/cases/abc')).toEqual({ name: 'caseDetail', caseId: 'abc' });
    expect(matchRoute('/cases/abc/edit')).toEqual({ name: 'caseEdit', caseId: 'abc' });
    expect(matchRoute('/j/tok_en-1')).toEqual({ name: 'join', token: 'tok_en-1' });
    expect(matchRoute('/cases/abc/')).toEqual({ name: 'caseDetail', caseId: 'abc' });
    expect(matchRoute('/sessions/s1/room')).toEqual({ name: 'room', sessionId: 's1' });
    expect(matchRoute('/court')).toEqual({ name: 'courtQueue' });
    expect(matchRoute('/court/')).toEqual({ name: 'courtQueue' });
    expect(matchRoute('/court/confirmations/c-1')).toEqual({ name: 'courtConfirmation', confirmationId: 'c-1' });
    expect(matchRoute('/verify')).toEqual({ name: 'verify' });
  });

  it('sends anything else to not found, without throwing on bad escapes', () => {
    expect(matchRoute('/nope')).toEqual({ name: 'notFound' });
    expect(matchRoute('/cases/abc/edit/more')).toEqual({ name: 'notFound' });
    expect(matchRoute('/court/confirmations')).toEqual({ name: 'notFound' });
    expect(matchRoute('/court/confirmations/c-1/more')).toEqual({ name: 'notFound' });
    expect(matchRoute('/court/other')).toEqual({ name: 'notFound' });
    expect(matchRoute('/verify/x')).toEqual({ name: 'notFound' });
    expect(matchRoute('/j/%E0%A4%A')).toEqual({ name: 'join', token: '%E0%A4%A' });
  });
});

describe('home pages and court deadlines', () => {
  const me = (role: Me['role']) => ({ role }) as Me;

  it('sends each role to its desk', () => {
    expect(homePath(null)).toBe('/');
    expect(homePath(me('mediator'))).toBe('/');
    expect(homePath(me('admin'))).toBe('/admin');
    expect(homePath(me('clerk'))).toBe('/court');
    expect(homePath(me('judge'))).toBe('/court');
  });

  it('highlights only the deadline that is running', () => {
    expect(runningDeadline('filed')).toBe('accept');
    expect(runningDeadline('under_review')).toBe('rule');
    expect(runningDeadline('confirmed')).toBeNull();
    expect(deadlineTone('accept', 'filed', 2)).toBe('running');
    expect(deadlineTone('accept', 'filed', 1)).toBe('near');
    expect(deadlineTone('accept', 'filed', 0)).toBe('near');
    expect(deadlineTone('accept', 'filed', -1)).toBe('overdue');
    expect(deadlineTone('accept', 'accepted', -5)).toBe('done');
    expect(deadlineTone('rule', 'accepted', 4)).toBe('running');
    expect(deadlineTone('rule', 'under_review', 3)).toBe('near');
    expect(deadlineTone('rule', 'confirmed', -3)).toBe('done');
  });

  it('shows a deadline as its Beijing calendar date', () => {
    // 23:59:59.999 in Beijing is 15:59:59.999 UTC the same day; the date must not slip.
    expect(deadlineDate('2026-12-04T15:59:59.999Z', 'zh-CN')).toMatch(/2026年12月4日/);
    expect(deadlineDate('2026-12-04T15:59:59.999Z', 'en')).toMatch(/4 Dec 2026|Dec 4, 2026/);
  });
});
