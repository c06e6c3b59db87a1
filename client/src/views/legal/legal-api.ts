/**
 * Legal help calls: a party by their invitation token, a lawyer or mediator by the staff cookie.
 * Only the legal chunks import this, so these schemas stay out of the join page's first download.
 */
import { z } from 'zod';
import {
  consultationAcceptedSchema,
  consultationListSchema,
  consultationSummarySchema,
  consultationViewSchema,
  dutyRosterSchema,
  dutyShiftViewSchema,
  lawFirmViewSchema,
  lawyerCardSchema,
  type lawyerCreateSchema,
  lawyerListSchema,
  slotListSchema,
  slotViewSchema,
} from '../../../../shared/api/legal.ts';
import type { ConsultationKind } from '../../../../shared/domain/consultations.ts';
import { request } from '../../lib/http.ts';
import { invitationHeaders } from '../../lib/join-api.ts';

const id = encodeURIComponent;
/** A party's token, or none for staff (the cookie goes along). */
const headers = (token?: string) => (token ? invitationHeaders(token) : {});

export const listConsultations = (token?: string) => request('GET', '/api/consultations', consultationListSchema, { headers: headers(token) });
export const listLawyers = (token?: string) => request('GET', '/api/legal/lawyers', lawyerListSchema, { headers: headers(token) });
export const listSlots = (token?: string) => request('GET', '/api/legal/slots', slotListSchema, { headers: headers(token) });

export const askForLawyer = (token: string, body: { kind: ConsultationKind; lawyerId?: string; slotId?: string; question?: string }) =>
  request('POST', '/api/consultations', consultationViewSchema, { headers: headers(token), body });

export const cancelConsultation = (token: string, consultationId: string) =>
  request('POST', `/api/consultations/${id(consultationId)}/transitions`, consultationAcceptedSchema, { headers: headers(token), body: { to: 'cancelled' } });

export const answerConsultation = (consultationId: string, to: 'accepted' | 'declined' | 'in_progress' | 'closed', room?: 'private' | 'live') =>
  request('POST', `/api/consultations/${id(consultationId)}/transitions`, consultationAcceptedSchema, { body: { to, ...(room ? { room } : {}) } });

export const consultationSummary = (consultationId: string) => request('GET', `/api/consultations/${id(consultationId)}/summary`, consultationSummarySchema);

export const publishSlot = (startsAt: string, durationMinutes: number) => request('POST', '/api/legal/slots', slotViewSchema, { body: { startsAt, durationMinutes } });

// ---- the center admin's side: firms, lawyers, the duty roster, slots on a lawyer's behalf ----

export const listFirms = () => request('GET', '/api/legal/firms', z.object({ items: z.array(lawFirmViewSchema) }));
export const createFirm = (name: string) => request('POST', '/api/legal/firms', lawFirmViewSchema, { body: { name } });
export const createLawyer = (body: z.input<typeof lawyerCreateSchema>) => request('POST', '/api/legal/lawyers', lawyerCardSchema, { body });
export const dutyRoster = (from: string, to: string) => request('GET', '/api/legal/duty', dutyRosterSchema, { query: { from, to } });
export const addDutyShift = (lawyerId: string, startsAt: string, endsAt: string) =>
  request('POST', '/api/legal/duty', dutyShiftViewSchema, { body: { lawyerId, startsAt, endsAt } });
export const removeDutyShift = (dutyShiftId: string) => request('DELETE', `/api/legal/duty/${id(dutyShiftId)}`, z.object({ id: z.string() }));
export const publishSlotFor = (lawyerId: string, startsAt: string, durationMinutes: number) =>
  request('POST', `/api/legal/lawyers/${id(lawyerId)}/slots`, slotViewSchema, { body: { startsAt, durationMinutes } });

/** A mediator calls the lawyer on duty in to a case (介入制); the case's open session is where they join. */
export const callInLawyer = (caseId: string, question: string) =>
  request('POST', '/api/consultations', consultationViewSchema, { body: { kind: 'on_duty', caseId, question } });

export type Consultation = z.output<typeof consultationViewSchema>;
export type Summary = z.output<typeof consultationSummarySchema>;
