import assert from 'node:assert/strict';
import { VerifyReport } from '../../src/core/protocol';
import { sandboxLine } from '../../webview/model';

const base = { schema: 1, verdict: 'correct', summary: 'ok', diagnostics: [] };

describe('report sandbox field', () => {
  it('old reports without it still parse', () => {
    const r = VerifyReport.parse(base);
    assert.equal(r.sandbox, undefined);
  });

  it('parses the backend shape and shows one plain line, enforced or not', () => {
    const on = VerifyReport.parse({
      ...base,
      sandbox: {
        enforced: true, landlock_abi: 7, threads_at_start: 1, summary: 'enforced (Landlock ABI 7, seccomp, no_new_privs)',
        protections: { filesystem: { enforced: true, detail: 'writes only to scratch' } },
      },
    });
    const off = VerifyReport.parse({
      ...base,
      sandbox: { enforced: false, landlock_abi: null, summary: "NOT enforced: the candidate ran with your user's full rights (no Landlock)", protections: {} },
    });
    const run = (report: VerifyReport) => ({ candidates: [{ report }] }) as never;
    assert.deepEqual(sandboxLine(run(on)), { text: 'Sandbox: enforced (Landlock ABI 7, seccomp, no_new_privs)', enforced: true });
    assert.equal(sandboxLine(run(off))?.enforced, false);
    assert.match(sandboxLine(run(off))!.text, /^Sandbox: NOT enforced/);
    assert.equal(sandboxLine(run(VerifyReport.parse(base))), null);
  });

  it('rejects a malformed sandbox object', () => {
    assert.equal(VerifyReport.safeParse({ ...base, sandbox: { enforced: 'yes' } }).success, false);
  });
});
