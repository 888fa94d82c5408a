import { readFileSync } from 'node:fs';
import { SCRYPT_HASH_PATTERN } from './passwords.js';

/**
 * A credentials file: one `username:$scrypt$…` per line, `#` comments. Problems are returned as
 * `file:line: message` so that a reload can refuse the whole file and keep the running table.
 */
export function parseCredentialsFile(text: string, file: string): { users: Map<string, string>; problems: string[] } {
  const users = new Map<string, string>();
  const problems: string[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const colon = line.indexOf(':');
    const username = colon > 0 ? line.slice(0, colon) : '';
    const hash = line.slice(colon + 1);
    if (!username || /[/+#\s]/.test(username)) problems.push(`${file}:${i + 1}: expected username:hash`);
    else if (!SCRYPT_HASH_PATTERN.test(hash)) problems.push(`${file}:${i + 1}: the hash for "${username}" is not a scrypt hash from \`ucid-gateway passwd\``);
    else if (users.has(username)) problems.push(`${file}:${i + 1}: duplicate user "${username}"`);
    else users.set(username, hash);
  });
  return { users, problems };
}

export function readCredentialsFile(file: string): { users: Map<string, string>; problems: string[] } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return { users: new Map(), problems: [`${file}: ${(err as Error).message}`] };
  }
  return parseCredentialsFile(text, file);
}

/** The credentials file with `username` set to `hash` (added, or its line replaced). */
export function upsertCredential(text: string, username: string, hash: string): string {
  const lines = text.split('\n').filter((l, i, all) => i < all.length - 1 || l !== '');
  const at = lines.findIndex((l) => l.trim().startsWith(`${username}:`));
  if (at >= 0) lines[at] = `${username}:${hash}`;
  else lines.push(`${username}:${hash}`);
  return `${lines.join('\n')}\n`;
}
