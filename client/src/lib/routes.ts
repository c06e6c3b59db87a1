/** Pages under a participant's invitation link: the agreement to sign, the case evidence, the mediator roster, legal help. */
export type JoinSubPage = { kind: 'sign'; agreementId: string } | { kind: 'evidence' } | { kind: 'mediator' } | { kind: 'lawyer' };

/** The client's routes, matched on location.pathname. */
export type Route =
  | { name: 'login' }
  | { name: 'caseList' }
  | { name: 'caseNew' }
  | { name: 'caseDetail'; caseId: string }
  | { name: 'caseEdit'; caseId: string }
  | { name: 'admin' }
  | { name: 'dashboard' }
  | { name: 'outbox' }
  | { name: 'transfers' }
  | { name: 'legal' }
  | { name: 'mediators' }
  | { name: 'join'; token: string; page?: JoinSubPage }
  | { name: 'room'; sessionId: string }
  | { name: 'courtQueue' }
  | { name: 'courtConfirmation'; confirmationId: string }
  | { name: 'verify' }
  | { name: 'notFound' };

/** A malformed escape (a truncated link) must not crash the app; keep the raw segment instead. */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

export function matchRoute(path: string): Route {
  const parts = path.split('/').filter(Boolean).map(decodeSegment);
  const [first, second, third] = parts;
  if (parts.length === 0) return { name: 'caseList' };
  if (first === 'login' && parts.length === 1) return { name: 'login' };
  if (first === 'admin' && parts.length === 1) return { name: 'admin' };
  if (first === 'dashboard' && parts.length === 1) return { name: 'dashboard' };
  if (first === 'outbox' && parts.length === 1) return { name: 'outbox' };
  if (first === 'transfers' && parts.length === 1) return { name: 'transfers' };
  if (first === 'legal' && parts.length === 1) return { name: 'legal' };
  if (first === 'mediators' && parts.length === 1) return { name: 'mediators' };
  if (first === 'j' && second && parts.length === 2) return { name: 'join', token: second };
  if (first === 'j' && second && third === 'sign' && parts[3] && parts.length === 4) return { name: 'join', token: second, page: { kind: 'sign', agreementId: parts[3] } };
  if (first === 'j' && second && third === 'evidence' && parts.length === 3) return { name: 'join', token: second, page: { kind: 'evidence' } };
  if (first === 'j' && second && third === 'mediator' && parts.length === 3) return { name: 'join', token: second, page: { kind: 'mediator' } };
  if (first === 'j' && second && third === 'lawyer' && parts.length === 3) return { name: 'join', token: second, page: { kind: 'lawyer' } };
  if (first === 'verify' && parts.length === 1) return { name: 'verify' };
  if (first === 'court') {
    if (parts.length === 1) return { name: 'courtQueue' };
    if (second === 'confirmations' && third && parts.length === 3) return { name: 'courtConfirmation', confirmationId: third };
  }
  if (first === 'sessions' && second && third === 'room' && parts.length === 3) return { name: 'room', sessionId: second };
  if (first === 'cases') {
    if (second === 'new' && parts.length === 2) return { name: 'caseNew' };
    if (second && parts.length === 2) return { name: 'caseDetail', caseId: second };
    if (second && third === 'edit' && parts.length === 3) return { name: 'caseEdit', caseId: second };
  }
  return { name: 'notFound' };
}

/** The path of an invitation link's page (the inverse of matchRoute for 'join'). */
export function joinPath(token: string, page?: JoinSubPage): string {
  const base = `/j/${encodeURIComponent(token)}`;
  if (!page) return base;
  if (page.kind === 'sign') return `${base}/sign/${encodeURIComponent(page.agreementId)}`;
  return `${base}/${page.kind}`;
}
