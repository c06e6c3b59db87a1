import type { Db } from '../../db/client.ts';
import { AppError } from '../../errors.ts';
import { dummyPasswordHash, verifyPassword } from '../../security/passwords.ts';
import { hashToken, newToken } from '../../security/tokens.ts';
import * as repo from './auth.repository.ts';
import type { Principal } from '../../access/principal.ts';

export interface AuthDeps {
  db: Db;
  now: () => Date;
  sessionHours: number;
}

export async function login(deps: AuthDeps, username: string, password: string): Promise<{ token: string; principal: Principal; expiresAt: Date }> {
  const candidate = await repo.findLoginCandidate(deps.db, username.trim().toLowerCase());
  // Verify even when the user is unknown so timing does not reveal which usernames exist.
  const ok = await verifyPassword(candidate?.passwordHash ?? (await dummyPasswordHash), password);
  if (!candidate || !ok || !candidate.active) throw new AppError('UNAUTHENTICATED', 'wrong username or password');
  const token = newToken();
  const expiresAt = new Date(deps.now().getTime() + deps.sessionHours * 3_600_000);
  await repo.deleteExpiredSessions(deps.db, deps.now());
  await repo.insertSession(deps.db, candidate.staffUserId, hashToken(token), expiresAt);
  const { passwordHash: _hash, active: _active, ...principal } = candidate;
  return { token, principal: principal as Principal, expiresAt };
}

export function logout(deps: AuthDeps, token: string) {
  return repo.deleteSession(deps.db, hashToken(token));
}

export function principalForToken(deps: AuthDeps, token: string) {
  return repo.findPrincipalBySession(deps.db, hashToken(token), deps.now());
}
