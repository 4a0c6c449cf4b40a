// The panel's message and state types: the core schemas (src/core/protocol), which the extension
// host validates with too. Everything the panel receives goes through HostToPanel.safeParse; an
// invalid message is logged and ignored, never rendered.
export {
  HostToPanel,
  PanelToHost,
  PanelState,
  Run,
  RunSummary,
  Candidate,
  VerifyReport,
  Timings,
  Stat,
  Verdict,
  effectiveSpeedup,
} from '../src/core/protocol';
export type { PanelToHost as PanelToHostMessage, HostToPanel as HostToPanelMessage } from '../src/core/protocol';
