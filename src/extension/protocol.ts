// The one place the extension takes its message and state types from. Core (`src/core/protocol`)
// owns the zod schemas; this file re-exports them under the names the VS Code layer uses, so a
// rename in core is a one-line change here.
export {
  PanelToHost, HostToPanel, PanelState as PanelStateSchema, Run as RunSchema, VerifyReport as VerifyReportSchema,
  EnvironmentResult as EnvironmentResultSchema, ValidateProblemResult as ValidateProblemResultSchema,
  Methods, ErrorCodes, effectiveSpeedup,
} from '../core/protocol';
export type {
  PanelToHost as PanelToHostMessage, PanelState, Run, RunSummary, Candidate, VerifyReport,
  EnvironmentResult, ValidateProblemResult, VerifyParams, TensorSpec, Question,
} from '../core/protocol';
