import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

/**
 * A secret in the config: a literal, `{ env: NAME }`, `{ file: /path }`, or `{ credential: name }` (a file in
 * systemd's `$CREDENTIALS_DIRECTORY`, from `LoadCredential=`). Resolved when the driver starts, never logged.
 */
export const secretSchema = z.union([
  z.string().min(1),
  z.strictObject({ env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name') }),
  z.strictObject({ file: z.string().min(1) }),
  z.strictObject({ credential: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'expected a systemd credential name') }),
]);

export type Secret = z.output<typeof secretSchema>;

export function resolveSecret(secret: Secret, what: string): string {
  if (typeof secret === 'string') return secret;
  if ('env' in secret) {
    const value = process.env[secret.env];
    if (!value) throw new Error(`${what}: environment variable ${secret.env} is not set`);
    return value;
  }
  let file: string;
  if ('file' in secret) file = secret.file;
  else {
    const dir = process.env.CREDENTIALS_DIRECTORY;
    if (!dir) throw new Error(`${what}: credential ${secret.credential} needs $CREDENTIALS_DIRECTORY (systemd LoadCredential=)`);
    file = path.join(dir, secret.credential);
  }
  try {
    return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  } catch (err) {
    throw new Error(`${what}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}
