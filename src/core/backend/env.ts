// The environment the kernel server (and through it, untrusted candidate code) runs with.

/** Names that look like credentials never reach the server: it loads model-written code. */
export const SECRET_NAME = /KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH/i;

export function serverEnvironment(backendPath: string, base: NodeJS.ProcessEnv = process.env,
  extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries({ ...base, ...extra })) {
    if (value !== undefined && !SECRET_NAME.test(name)) env[name] = value;
  }
  const sep = process.platform === 'win32' ? ';' : ':';
  const rest = (base.PYTHONPATH ?? '').split(sep).filter((p) => p && p !== backendPath);
  env.PYTHONPATH = [backendPath, ...rest].join(sep);
  env.PYTHONUNBUFFERED = '1';
  // stdout is the LSP channel: no startup hooks that might print to it.
  delete env.PYTHONSTARTUP;
  return env;
}
