// Why a selection cannot become a problem, with what to do about it.

export type ProblemErrorKind = 'empty' | 'unbalanced' | 'not_python' | 'indentation' | 'unsupported';

export class ProblemError extends Error {
  override readonly name = 'ProblemError';
  /** `line` is 1-based within the selection, when known. */
  constructor(readonly kind: ProblemErrorKind, message: string, readonly line?: number) {
    super(message);
  }
}
