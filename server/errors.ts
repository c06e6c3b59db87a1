import type { ErrorCode, FieldIssue } from '../shared/errors.ts';

/** A failure the client caused or may retry; mapped to the shared error envelope. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly field?: string;
  readonly issues?: FieldIssue[];

  constructor(
    code: ErrorCode,
    message: string,
    field?: string,
    issues?: FieldIssue[],
  ) {
    super(message);
    this.code = code;
    this.field = field;
    this.issues = issues;
    this.name = 'AppError';
  }
}

/** The live room is held by another node (or none is alive to hold it yet): reconnect there. */
export class WrongNodeError extends AppError {
  readonly node: string | null;

  constructor(node: string | null) {
    super('WRONG_NODE', node ? `this room is held by node ${node}: reconnect there` : 'this room is moving to another node: reconnect shortly');
    this.node = node;
  }
}

export const notFound = (what: string) => new AppError('NOT_FOUND', `${what} not found`);
export const forbidden = (message = 'not allowed for your role') => new AppError('FORBIDDEN', message);
export const conflict = (message: string) => new AppError('CONFLICT', message);
export const invalid = (field: string, message: string) =>
  new AppError('VALIDATION_FAILED', `${field}: ${message}`, field, [{ field, message }]);
