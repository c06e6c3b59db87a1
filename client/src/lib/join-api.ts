/** The one call the participant join page makes; kept apart from api.ts to keep that page's bundle small. */
import { joinContextSchema } from '../../../shared/api/sessions';
import { request } from './http';

export { ApiError } from './http';

export const resolveJoin = (token: string) => request('POST', '/api/join/resolve', joinContextSchema, { body: { token } });
