export { buildProblem, type BuiltProblem, type ProblemKind, type SelectionInput } from './build';
export { ProblemError, type ProblemErrorKind } from './errors';
