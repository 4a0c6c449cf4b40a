// A quick reachability and key check of the LLM endpoint, before the user is asked to confirm a
// problem (and long before tokens are spent): `GET /models` through the openai SDK, one attempt,
// a few seconds. Servers without a models route (404/405) pass: the key is then only known to be
// good once the first reply arrives.
import OpenAI from 'openai';
import { toLlmError, type LlmError } from './errors';

export interface EndpointCheckConfig {
  baseURL: string;
  model: string;
  apiKey: string;
}

export type EndpointCheck =
  | { ok: true; models: string[] | null; ms: number }
  | { ok: false; error: LlmError; ms: number };

export async function checkEndpoint(config: EndpointCheckConfig, opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<EndpointCheck> {
  const t0 = Date.now();
  const sdk = new OpenAI({ apiKey: config.apiKey || 'no-key', baseURL: config.baseURL, maxRetries: 0, timeout: opts.timeoutMs ?? 8_000 });
  try {
    const ids: string[] = [];
    // The first page is enough: big providers list hundreds of models, and we only look for one.
    const page = await sdk.models.list({ signal: opts.signal });
    for (const m of page.data) ids.push(m.id);
    return { ok: true, models: ids, ms: Date.now() - t0 };
  } catch (err) {
    const status = (err as { status?: unknown }).status;
    if (status === 404 || status === 405 || status === 501) return { ok: true, models: null, ms: Date.now() - t0 };
    const e = toLlmError(err, { model: config.model, baseURL: config.baseURL, aborted: opts.signal?.aborted ? 'cancelled' : undefined });
    return { ok: false, error: e, ms: Date.now() - t0 };
  }
}

/** The user-facing problem with a check, and the buttons that fix it (Retry always first). */
export function endpointProblem(check: EndpointCheck, config: EndpointCheckConfig): { message: string; actions: string[] } | null {
  if (check.ok) {
    // Only a list that names models can say the configured one is missing.
    if (check.models && check.models.length && !check.models.includes(config.model))
      return {
        message: `The LLM at ${config.baseURL} does not list the model "${config.model}" (it has ${preview(check.models)}). Check tritonize.llm.model.`,
        actions: ['Retry', 'Open Settings', 'Continue anyway'],
      };
    return null;
  }
  const e = check.error;
  switch (e.kind) {
    case 'auth':
      return { message: `The LLM at ${config.baseURL} rejected the API key${e.details.status ? ` (HTTP ${e.details.status})` : ''}.`, actions: ['Set API key', 'Retry', 'Open Settings'] };
    case 'network':
    case 'timeout':
      return { message: `${e.message}. Check tritonize.llm.baseUrl.`, actions: ['Retry', 'Open Settings'] };
    default:
      return { message: e.message, actions: ['Retry', 'Open Settings', 'Set API key'] };
  }
}

function preview(models: string[]): string {
  const shown = models.slice(0, 5).map((m) => `"${m}"`).join(', ');
  return models.length > 5 ? `${shown} and ${models.length - 5} more` : shown;
}
