/**
 * The party's roster calls (their invitation token in the Authorization header), parsed with the
 * shared schemas. Only the roster chunk imports this: the join page's first download stays small.
 */
import { partyRosterSchema } from '../../../shared/api/mediators.ts';
import { request } from '../lib/http.ts';
import { invitationHeaders } from '../lib/join-api.ts';

const id = encodeURIComponent;

export const loadRoster = (token: string, caseId: string) => request('GET', `/api/cases/${id(caseId)}/mediator-roster`, partyRosterSchema, { headers: invitationHeaders(token) });

export const chooseMediator = (token: string, caseId: string, staffUserId: string) =>
  request('POST', `/api/cases/${id(caseId)}/mediator-choice`, partyRosterSchema, { headers: invitationHeaders(token), body: { staffUserId } });
