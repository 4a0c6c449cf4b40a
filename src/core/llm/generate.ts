// One candidate from one chat: stream the reply, then pull out the module.
import type { ChatMessage, ChatModel, CompleteOptions, Usage } from './client';
import { LlmError } from './errors';
import { extractCandidate } from './extract';

export interface GeneratedCandidate {
  code: string;
  reply: string;
  usage: Usage;
  finishReason: string | null;
}

export async function generateCandidate(model: ChatModel, messages: ChatMessage[], opts: CompleteOptions = {}): Promise<GeneratedCandidate> {
  const out = await model.complete(messages, opts);
  const found = extractCandidate(out.text);
  if (!found) {
    const cut = out.finishReason === 'length' ? ' (the reply hit the max-tokens limit; raise tritonize.llm.maxTokens)' : '';
    throw new LlmError('no_code', out.text.trim()
      ? `The reply had no \`\`\`python block defining class ModelNew${cut}`
      : `The LLM sent an empty reply${cut}`, { reply: out.text, usage: out.usage });
  }
  return { code: found.code, reply: out.text, usage: out.usage, finishReason: out.finishReason };
}
