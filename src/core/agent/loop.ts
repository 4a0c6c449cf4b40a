// The agent: up to N turns × K parallel candidates. Each candidate is generated (streamed), written,
// verified (and benchmarked when correct), and its evidence carried into that lineage's next turn.
// Stops when a correct candidate reaches the target or the budget is spent; best = fastest correct.
import type { Verifier } from '../backend/client';
import { BackendError } from '../backend/errors';
import { generateCandidate, type ChatMessage, type ChatModel, type RetryInfo } from '../llm';
import { LlmError } from '../llm/errors';
import { initialMessages, noCodePrompt, repairPrompt, type TargetDevice } from '../llm/prompts';
import { effectiveSpeedup, type Candidate, type CandidateStage, type Run, type TensorSpec, type VerifyReport } from '../protocol';
import { RunStore } from '../store/runStore';

export interface AgentConfig {
  maxTurns: number;
  candidates: number;
  /** Speedup (vs Inductor when measured, else eager) at which to stop; ignored where timings mean nothing. */
  targetSpeedup: number;
  device: 'cpu' | 'cuda';
  /** Per-candidate verification limit, seconds. */
  timeoutS: number;
  /** Benchmark correct candidates (off on the CPU interpreter, where timings mean nothing). */
  benchmark: boolean;
  /** Passed to the verifier (e.g. {precision: "allow_tf32"}). */
  verifyOptions?: Record<string, unknown>;
}

export interface AgentTask {
  problemName: string;
  problemSource: string;
  device: TargetDevice;
  inputs?: TensorSpec[];
  /** Reuse an id (e.g. chosen by the caller to show the run before it starts). */
  runId?: string;
}

export type AgentEvent =
  | { type: 'update'; run: Run }
  | { type: 'delta'; runId: string; candidateId: string; text: string }
  | { type: 'retry'; runId: string; candidateId: string; info: RetryInfo }
  | { type: 'log'; runId: string; message: string }
  /** Why the run failed, for callers that react by source (the CLI's exit code). */
  | { type: 'failed'; runId: string; source: FailureSource; message: string };

export type FailureSource = 'llm' | 'backend' | 'problem';

export interface AgentDeps {
  llm: ChatModel;
  verifier: Verifier;
  store: RunStore;
  onEvent?: (e: AgentEvent) => void;
  now?: () => Date;
}

/** One chain of attempts: its conversation so far and one line per earlier attempt. */
interface Lineage {
  messages: ChatMessage[];
  history: string[];
}

class Stop extends Error {
  constructor(readonly status: 'failed' | 'cancelled', message: string, readonly source: FailureSource = 'llm') { super(message); }
}

export async function runAgent(task: AgentTask, config: AgentConfig, deps: AgentDeps, signal?: AbortSignal): Promise<Run> {
  const now = deps.now ?? (() => new Date());
  const runId = task.runId ?? RunStore.newId(now());
  const problemPath = await deps.store.writeProblem(runId, task.problemSource);
  const run: Run = {
    id: runId, problemName: task.problemName, problemPath,
    device: { name: task.device.name, interpreter: task.device.type === 'cpu' },
    startedAt: now().toISOString(), finishedAt: null, status: 'running', turn: 0, maxTurns: config.maxTurns,
    bestCandidateId: null, tokens: { prompt: 0, completion: 0 }, error: null, candidates: [],
  };
  const emit = makeEmitter(run, deps);
  await deps.store.save(run);
  emit.update(true);

  const benchmark = config.benchmark && task.device.type === 'cuda';
  const base = initialMessages({ problemSource: task.problemSource, device: task.device, inputs: task.inputs, targetSpeedup: config.targetSpeedup });
  // Parallel lineages would otherwise often produce the same first kernel: ask each to differ.
  const lineages: Lineage[] = Array.from({ length: config.candidates }, (_, i) => ({
    messages: i === 0 ? base : [base[0]!, { role: 'user' as const, content: `${base[1]!.content}\n\n${diversityHint(i, config.candidates)}` }],
    history: [],
  }));
  const runAbort = new AbortController();
  const onAbort = () => runAbort.abort();
  signal?.addEventListener('abort', onAbort, { once: true });

  try {
    for (let turn = 1; turn <= config.maxTurns; turn++) {
      if (runAbort.signal.aborted) throw new Stop('cancelled', 'Cancelled');
      run.turn = turn;
      const outcomes = await Promise.all(lineages.map((lin, index) =>
        runCandidate({ run, turn, index, lineage: lin, config, deps, emit, benchmark, signal: runAbort.signal })));
      if (runAbort.signal.aborted) throw new Stop('cancelled', 'Cancelled');
      const fatal = outcomes.find((o) => o.fatal);
      if (fatal) throw new Stop('failed', fatal.fatal!, fatal.source);
      if (outcomes.every((o) => o.llmError)) throw new Stop('failed', outcomes[0]!.llmError!);
      run.bestCandidateId = pickBest(run.candidates)?.id ?? null;
      await deps.store.save(run);
      emit.update(true);
      if (reachedTarget(run, config, benchmark)) break;
    }
    run.status = 'done';
  } catch (err) {
    if (err instanceof Stop) {
      run.status = err.status;
      run.error = err.status === 'cancelled' ? null : err.message;
      if (err.status === 'failed') deps.onEvent?.({ type: 'failed', runId: run.id, source: err.source, message: err.message });
    } else {
      run.status = 'failed';
      run.error = err instanceof Error ? err.message : String(err);
      deps.onEvent?.({ type: 'failed', runId: run.id, source: 'backend', message: run.error });
    }
    for (const c of run.candidates) {
      if (c.stage === 'done' || c.stage === 'failed' || c.stage === 'cancelled') continue;
      if (run.status === 'cancelled') c.stage = 'cancelled';
      else {
        c.stage = 'failed';
        c.error ??= 'stopped';
      }
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  run.bestCandidateId = pickBest(run.candidates)?.id ?? null;
  run.finishedAt = now().toISOString();
  await deps.store.save(run);
  emit.update(true);
  return run;
}

interface CandidateOutcome {
  /** Stops the whole run (bad key, unknown model, backend gone). */
  fatal?: string;
  source?: FailureSource;
  /** The LLM call failed (not for lack of code). */
  llmError?: string;
}

async function runCandidate(a: {
  run: Run; turn: number; index: number; lineage: Lineage; config: AgentConfig; deps: AgentDeps;
  emit: Emitter; benchmark: boolean; signal: AbortSignal;
}): Promise<CandidateOutcome> {
  const { run, turn, index, lineage, config, deps, emit, signal } = a;
  const cand: Candidate = {
    id: `t${turn}c${index}`, turn, index, stage: 'generating', code: '', path: null, report: null, error: null,
    tokens: { prompt: 0, completion: 0 }, startedAt: new Date().toISOString(),
  };
  run.candidates.push(cand);
  emit.update(true);
  const addTokens = (u: { prompt: number; completion: number }) => {
    cand.tokens.prompt += u.prompt;
    cand.tokens.completion += u.completion;
    run.tokens.prompt += u.prompt;
    run.tokens.completion += u.completion;
  };
  const setStage = (stage: CandidateStage) => {
    if (cand.stage === stage) return;
    cand.stage = stage;
    emit.update(true);
  };

  // 1. Generate.
  let reply: string;
  try {
    const gen = await generateCandidate(deps.llm, lineage.messages, {
      signal,
      onDelta: (text) => {
        cand.code += text; // the raw reply while it streams; replaced by the extracted module below
        deps.onEvent?.({ type: 'delta', runId: run.id, candidateId: cand.id, text });
        emit.update(false);
      },
      onRetry: (info) => {
        cand.code = '';
        deps.onEvent?.({ type: 'retry', runId: run.id, candidateId: cand.id, info });
        deps.onEvent?.({ type: 'log', runId: run.id, message: `${cand.id}: ${info.error.message}; retrying in ${Math.round(info.delayMs / 100) / 10} s` });
      },
    });
    addTokens(gen.usage);
    cand.code = gen.code;
    cand.reply = gen.reply;
    reply = gen.reply;
  } catch (err) {
    const e = err instanceof LlmError ? err : new LlmError('network', String(err));
    if (e.details.usage) addTokens(e.details.usage);
    const cancelled = e.kind === 'cancelled' || signal.aborted;
    cand.stage = cancelled ? 'cancelled' : 'failed';
    cand.error = cancelled ? null : e.message;
    if (e.details.reply !== undefined) {
      cand.code = e.details.reply;
      cand.reply = e.details.reply;
    }
    await deps.store.save(run);
    emit.update(true);
    if (cancelled) return {};
    if (e.fatal) return { fatal: e.message, source: 'llm' };
    if (e.kind === 'no_code') {
      lineage.history.push(`turn ${turn}: no code in the reply`);
      lineage.messages = [...lineage.messages.slice(0, 2), { role: 'assistant', content: e.details.reply ?? '' }, { role: 'user', content: noCodePrompt() }];
      return {};
    }
    return { llmError: e.message }; // transient: the lineage keeps its messages and tries again next turn
  }

  // 2. Write and verify.
  try {
    // Named as the panel labels it (turn.index, 1-based): cand-2.1.py.
    cand.path = await deps.store.writeCandidate(run.id, `${turn}.${index + 1}`, cand.code);
    setStage('compiling');
    await deps.store.save(run);
    const report = await deps.verifier.verify({
      problemPath: run.problemPath, candidatePath: cand.path, device: config.device, timeout: config.timeoutS,
      benchmark: a.benchmark, options: config.verifyOptions,
    }, {
      signal,
      onStage: (s) => { if (s === 'compiling' || s === 'checking' || s === 'benchmarking') setStage(s); },
    });
    if (signal.aborted) throw new BackendError('cancelled', 'cancelled'); // a report that raced the cancel is no verdict
    cand.report = report;
    cand.stage = 'done';
  } catch (err) {
    // Cancelling kills the worker; whatever that produced says nothing about the kernel.
    const cancelled = signal.aborted || (err instanceof BackendError && err.kind === 'cancelled');
    cand.stage = cancelled ? 'cancelled' : 'failed';
    cand.error = cancelled ? null : err instanceof Error ? err.message : String(err);
    await deps.store.save(run);
    emit.update(true);
    if (cancelled) return {};
    if (err instanceof BackendError && err.kind === 'problem') return { fatal: `The problem is broken: ${err.message}`, source: 'problem' };
    return { fatal: `Verification failed: ${cand.error}`, source: 'backend' }; // the backend is unusable; more LLM calls would be wasted
  }
  await deps.store.save(run);
  emit.update(true);

  // 3. Evidence for this lineage's next turn.
  const report = cand.report!;
  lineage.history.push(attemptLine(turn, report));
  lineage.messages = [
    ...lineage.messages.slice(0, 2),
    { role: 'assistant', content: reply },
    { role: 'user', content: repairPrompt({ code: cand.code, report, targetSpeedup: config.targetSpeedup, history: lineage.history.slice(0, -1) }) },
  ];
  return {};
}

function diversityHint(index: number, total: number): string {
  return `(Candidate ${index + 1} of ${total} written in parallel: choose a different strategy from the most obvious one, `
    + 'e.g. other block sizes, tiling, number of warps, or a different decomposition of the work.)';
}

function attemptLine(turn: number, r: VerifyReport): string {
  const s = effectiveSpeedup(r);
  return `turn ${turn}: ${r.verdict}${s != null ? ` at ${s.toFixed(2)}x` : ''} — ${r.summary}`;
}

/** Fastest correct candidate; correct ones without a counting speedup rank after, earliest first. */
export function pickBest(cands: Candidate[]): Candidate | null {
  const correct = cands.filter((c) => c.report?.verdict === 'correct');
  if (!correct.length) return null;
  return correct.reduce((best, c) => {
    const sb = effectiveSpeedup(best.report);
    const sc = effectiveSpeedup(c.report);
    if (sc != null && (sb == null || sc > sb)) return c;
    return best;
  });
}

/** Whether the run can stop: a correct candidate at the target speedup (or any correct one where timings mean nothing). */
export function reachedTarget(run: Run, config: Pick<AgentConfig, 'targetSpeedup'>, benchmark: boolean): boolean {
  const best = pickBest(run.candidates);
  if (!best) return false;
  if (!benchmark || run.device.interpreter || best.report?.timings?.meaningful === false) return true;
  const s = effectiveSpeedup(best.report);
  return s != null && s >= config.targetSpeedup;
}

interface Emitter {
  /** Sends a snapshot now (`force`) or at most every 100 ms (streaming deltas). */
  update(force: boolean): void;
}

function makeEmitter(run: Run, deps: AgentDeps): Emitter {
  let last = 0;
  let pending: NodeJS.Timeout | undefined;
  const send = () => {
    last = Date.now();
    clearTimeout(pending);
    pending = undefined;
    deps.onEvent?.({ type: 'update', run: structuredClone(run) });
  };
  return {
    update(force) {
      if (!deps.onEvent) return;
      if (force || Date.now() - last >= 100) send();
      else pending ??= setTimeout(send, 100 - (Date.now() - last));
    },
  };
}
