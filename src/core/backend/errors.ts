// Failures of the Python kernel server, each with a message a person can act on.

export type BackendErrorKind =
  | 'python_not_found'   // the interpreter path does not exist / cannot be executed
  | 'backend_not_found'  // python runs but cannot import tritonize (bad extension root)
  | 'missing_dependency' // torch/triton not importable in that interpreter
  | 'crashed'            // the server process died
  | 'protocol'           // the server answered something that does not match the contract
  | 'problem'            // the problem file itself is broken
  | 'selection'          // the selection cannot be extracted or applied (one line, with its line)
  | 'request_failed'     // the server refused or failed a request
  | 'cancelled'
  | 'timeout'
  | 'disposed';

export class BackendError extends Error {
  override readonly name = 'BackendError';
  constructor(readonly kind: BackendErrorKind, message: string,
    readonly details: { code?: number; data?: unknown; stderr?: string; line?: number } = {}) {
    super(message);
  }
}
