/**
 * The resume token the server hands out on `session:enter`, kept in this tab's sessionStorage:
 * a reload or a server restart brings the person straight back to where they were (no second
 * device check, no second wait in the lobby). Kept apart from the room chunk so the join page
 * can tell, without loading it, whether to go straight back in.
 */
export type RoomMode = { kind: 'participant'; invitationToken: string } | { kind: 'staff'; sessionId: string };

function keyOf(mode: RoomMode): string {
  return mode.kind === 'staff' ? `haiqiao.resume.s.${mode.sessionId}` : `haiqiao.resume.j.${mode.invitationToken}`;
}

export function loadResumeToken(mode: RoomMode): string | undefined {
  try {
    return sessionStorage.getItem(keyOf(mode)) ?? undefined;
  } catch {
    return undefined;
  }
}

export function saveResumeToken(mode: RoomMode, token: string): void {
  try {
    sessionStorage.setItem(keyOf(mode), token);
  } catch {
    // storage blocked: a reload will go through the invitation again
  }
}

export function clearResumeToken(mode: RoomMode): void {
  try {
    sessionStorage.removeItem(keyOf(mode));
  } catch {
    // nothing stored
  }
}
