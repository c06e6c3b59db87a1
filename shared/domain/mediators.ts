/**
 * Assigned and chosen mediators (issue 11 point 3, 点单式调解). A case has one lead mediator and
 * optional co-mediators; before the first session goes live a party may choose a mediator from the
 * center's roster; the center's head assigns (taking the choices into account).
 */
export const mediatorRoles = ['lead', 'co'] as const;
export type MediatorRole = (typeof mediatorRoles)[number];

/** Dialects a mediator speaks; the coast between Wenzhou and Ningde speaks several. */
export const dialects = ['putonghua', 'minnan', 'wenzhou', 'fuzhou', 'mindong', 'wu'] as const;
export type Dialect = (typeof dialects)[number];

/** Kinds of dispute a mediator is known for (the dispute types of cases, in the words of the roster). */
export const specialities = ['collision', 'fishing_gear', 'crew_injury', 'fishing_ground', 'catch_sale', 'crew_wages', 'vessel_sale', 'marine_insurance'] as const;
export type Speciality = (typeof specialities)[number];

/** Co-mediators besides the lead. */
export const maxCoMediators = 4;

/** Participant roles who choose for a party: the party itself or its agent. */
export const choosingRoles: readonly string[] = ['party', 'agent'];

/**
 * Whether parties may still choose: until a mediation session of the case has gone live. Once
 * the mediation has started, the choice is closed (the mediator is already at work).
 */
export const choiceClosedBy = (sessionStatuses: readonly string[]) => sessionStatuses.some((s) => s === 'live' || s === 'paused' || s === 'ended');

/** Photos: small images from a phone or a scanner. */
export const photoContentTypes = ['image/jpeg', 'image/png', 'image/webp'] as const;
export const maxPhotoBytes = 2 * 1024 * 1024;
