import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestPki } from '../support/certs.js';
import { freePort, startPeer, type Peer } from './process.js';

export interface Mosquitto {
  /** Plain listener: user name and password required. */
  port: number;
  /** TLS listener: a client certificate from `pki` required, its CN is the user name. */
  tlsPort: number;
  stop(): Promise<void>;
}

/** Debian's mosquitto broker on loopback with its own config file: one password listener, one mutual-TLS listener. */
export async function startMosquitto(pki: TestPki, user: string, password: string): Promise<Mosquitto> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ucid-mosquitto-'));
  const passwords = path.join(dir, 'passwd');
  writeFileSync(passwords, '');
  execFileSync('mosquitto_passwd', ['-b', passwords, user, password]);
  const [port, tlsPort] = [await freePort(), await freePort()];
  const config = path.join(dir, 'mosquitto.conf');
  writeFileSync(config, [
    // as root, mosquitto would drop to the mosquitto user, which cannot read these 0700 temp directories
    ...(process.getuid?.() === 0 ? ['user root'] : []),
    'per_listener_settings true', 'persistence false', 'log_dest stdout', 'log_type error', 'log_type warning', 'log_type notice',
    `listener ${port} 127.0.0.1`, 'allow_anonymous false', `password_file ${passwords}`,
    `listener ${tlsPort} 127.0.0.1`, 'allow_anonymous false', `cafile ${pki.ca}`, `certfile ${pki.file('server.crt')}`, `keyfile ${pki.file('server.key')}`,
    'require_certificate true', 'use_identity_as_username true', '',
  ].join('\n'));
  const peer: Peer = await startPeer('/usr/sbin/mosquitto', ['-c', config], [port, tlsPort]);
  return {
    port, tlsPort,
    async stop() {
      await peer.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
