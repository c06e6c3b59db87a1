/**
 * The participant's calls that the join page itself makes; kept apart from api.ts to keep that
 * page's bundle small. The calls of the signing and evidence views (which need the agreement and
 * evidence schemas) live in their own chunk: client/src/sign/participant-api.ts.
 */
import { joinContextSchema, type JoinContext } from '../../../shared/api/sessions.ts';
import { request } from './http.ts';

export { ApiError } from './http.ts';

/** The last context each invitation resolved to in this page (the room panel needs the case id). */
const resolved = new Map<string, JoinContext>();

export async function resolveJoin(token: string): Promise<JoinContext> {
  const context = await request('POST', '/api/join/resolve', joinContextSchema, { body: { token } });
  resolved.set(token, context);
  return context;
}

/** The context this page already resolved for `token`, without another round trip (or an audit entry). */
export function resolvedJoin(token: string): JoinContext | undefined {
  return resolved.get(token);
}

/** How a participant authenticates every call: the token of their invitation link. */
export const invitationHeaders = (token: string): Record<string, string> => ({ authorization: `Invitation ${token}` });
