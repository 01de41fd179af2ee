/**
 * Errors are values: a stable code, a message a person can act on, and (for validation)
 * the field at fault. The api maps codes to HTTP statuses; nothing here knows HTTP.
 */
export type DomainErrorCode =
  | 'validation' // input is malformed or breaks a rule; names the field
  | 'not_found'
  | 'conflict' // already exists, stale version, duplicate
  | 'forbidden' // authenticated but not allowed
  | 'unauthenticated'
  | 'secret_refused' // mật / tối mật / tuyệt mật never enter the system
  | 'invalid_transition' // the document's state does not allow this action
  | 'unavailable'; // a dependency is down

export class DomainError extends Error {
  override readonly name = 'DomainError';
  constructor(
    readonly code: DomainErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

export function isDomainError(value: unknown): value is DomainError {
  return value instanceof DomainError;
}
