import { createRequire } from 'node:module';

/**
 * node:tls through require: an ESM import of it reads every export, and the `rootCertificates` getter then builds
 * Node's ~140 CA certificates as strings (~0.35 MiB of heap the broker never uses; it serves, it does not verify
 * against public CAs).
 */
const tls = createRequire(import.meta.url)('node:tls') as typeof import('node:tls');

export const { createServer, TLSSocket } = tls;
