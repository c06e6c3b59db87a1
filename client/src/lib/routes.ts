/** The client's routes, matched on location.pathname. */
export type Route =
  | { name: 'login' }
  | { name: 'caseList' }
  | { name: 'caseNew' }
  | { name: 'caseDetail'; caseId: string }
  | { name: 'caseEdit'; caseId: string }
  | { name: 'admin' }
  | { name: 'join'; token: string }
  | { name: 'room'; sessionId: string }
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
  if (first === 'j' && second && parts.length === 2) return { name: 'join', token: second };
  if (first === 'sessions' && second && third === 'room' && parts.length === 3) return { name: 'room', sessionId: second };
  if (first === 'cases') {
    if (second === 'new' && parts.length === 2) return { name: 'caseNew' };
    if (second && parts.length === 2) return { name: 'caseDetail', caseId: second };
    if (second && third === 'edit' && parts.length === 3) return { name: 'caseEdit', caseId: second };
  }
  return { name: 'notFound' };
}
