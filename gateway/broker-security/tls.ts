import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { TlsOptions } from 'node:tls';
import type { MqttTlsConfig } from './schema.js';

/** Server options for the 8883 listener; `required` client certificates fail the handshake without one. */
export function tlsServerOptions(config: MqttTlsConfig, baseDir: string): TlsOptions {
  const read = (file: string) => readFileSync(path.resolve(baseDir, file));
  const wantCerts = config.clientCertificates !== 'none';
  return {
    cert: read(config.cert),
    key: read(config.key),
    ...(config.ca ? { ca: read(config.ca) } : {}),
    requestCert: wantCerts,
    rejectUnauthorized: config.clientCertificates === 'required',
    minVersion: 'TLSv1.2',
  };
}
