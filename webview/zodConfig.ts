// Must be imported before any zod schema is constructed. zod v4 probes `new Function("")` to decide
// whether to JIT object parsers; under the webview CSP (no 'unsafe-eval') that probe is blocked and
// raises a securitypolicyviolation report. jitless skips the probe (and eval) entirely.
import { z } from 'zod';

z.config({ jitless: true });
