import { describe, expect, it } from 'vitest';
import { beijingDayNumber, isoToLocalInput, localInputToIso } from '../../client/src/lib/datetime';
import { matchRoute } from '../../client/src/lib/routes';

describe('Beijing-time inputs', () => {
  it('reads a datetime-local value as UTC+8', () => {
    expect(localInputToIso('2026-05-01T09:30')).toBe('2026-05-01T09:30:00+08:00');
    expect(new Date(localInputToIso('2026-05-01T09:30')!).toISOString()).toBe('2026-05-01T01:30:00.000Z');
  });

  it('shows an instant in Beijing time whatever the device zone', () => {
    expect(isoToLocalInput('2026-05-01T01:30:00.000Z')).toBe('2026-05-01T09:30');
    expect(isoToLocalInput('2026-04-30T20:00:00Z')).toBe('2026-05-01T04:00');
  });

  it('refuses incomplete values', () => {
    expect(localInputToIso('')).toBeNull();
    expect(localInputToIso('2026-05-01')).toBeNull();
    expect(localInputToIso('2026-13-45T99:99')).toBeNull();
  });

  it('counts days in Beijing time', () => {
    // 23:30 and 00:30 the next day in Beijing are one day apart although both are the same UTC date.
    expect(beijingDayNumber(new Date('2026-05-01T00:30:00+08:00')) - beijingDayNumber(new Date('2026-04-30T23:30:00+08:00'))).toBe(1);
  });
});

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
  });

  it('sends anything else to not found, without throwing on bad escapes', () => {
    expect(matchRoute('/nope')).toEqual({ name: 'notFound' });
    expect(matchRoute('/cases/abc/edit/more')).toEqual({ name: 'notFound' });
    expect(matchRoute('/j/%E0%A4%A')).toEqual({ name: 'join', token: '%E0%A4%A' });
  });
});
