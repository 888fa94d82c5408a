import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { GatewayError } from '../errors.js';
import { upsertCredential } from './credentials.js';
import { hashPassword } from './passwords.js';

async function readLine(prompt: string | null): Promise<string> {
  const input = process.stdin;
  if (!prompt || !input.isTTY) {
    const rl = createInterface({ input, terminal: false });
    for await (const line of rl) {
      rl.close();
      return line;
    }
    return '';
  }
  process.stderr.write(prompt);
  input.setRawMode(true);
  input.resume();
  return new Promise((resolve) => {
    let value = '';
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') {
          input.setRawMode(false);
          input.pause();
          input.off('data', onData);
          process.stderr.write('\n');
          return resolve(value);
        }
        if (ch === '\u0003') process.exit(130);
        value = ch === '\u007f' ? value.slice(0, -1) : value + ch;
      }
    };
    input.on('data', onData);
  });
}

/** `ucid-gateway passwd USER [--file FILE]`: reads the password (twice on a terminal, else one stdin line). */
export async function passwdCommand(username: string | undefined, file: string | undefined): Promise<number> {
  if (!username || /[:/+#\s]/.test(username)) throw new GatewayError('CONFIG_INVALID', 'passwd needs a USERNAME without : / + # or spaces');
  const tty = process.stdin.isTTY;
  const password = await readLine(tty ? `password for ${username}: ` : null);
  if (tty && (await readLine('again: ')) !== password) throw new GatewayError('CONFIG_INVALID', 'the passwords differ');
  if (!password) throw new GatewayError('CONFIG_INVALID', 'the password is empty');
  const hash = await hashPassword(password);
  if (!file) {
    process.stdout.write(`${username}:${hash}\n`);
    return 0;
  }
  const before = existsSync(file) ? readFileSync(file, 'utf8') : '';
  writeFileSync(file, upsertCredential(before, username, hash), { mode: 0o640 });
  chmodSync(file, 0o640);
  process.stderr.write(`${file}: ${before.includes(`${username}:`) ? 'updated' : 'added'} ${username}; send SIGHUP (systemctl reload ucid-gateway) to apply\n`);
  return 0;
}
