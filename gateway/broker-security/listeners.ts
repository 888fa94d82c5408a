import { createServer, type Server, type Socket } from 'node:net';
import type { TlsOptions } from 'node:tls';
import { createServer as createTlsServer } from './node-tls.js';
import type { BrokerSecurity } from './security.js';

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

/** Plain MQTT: connection limits are checked at accept, before aedes sees a byte. */
export async function listenPlain(handle: (socket: Socket) => void, security: BrokerSecurity, host: string, port: number) {
  const server = createServer((socket) => {
    if (security.admitSocket(socket)) handle(socket);
  });
  return { server, port: await listen(server, port, host) };
}

/** MQTT over TLS (8883); with client certificates the CN becomes the identity (BrokerSecurity.authenticate). */
export async function listenTls(handle: (socket: Socket) => void, security: BrokerSecurity, host: string, port: number, options: TlsOptions) {
  const server = createTlsServer(options, handle);
  server.on('connection', (socket: Socket) => void security.admitSocket(socket));
  server.on('tlsClientError', (err, socket) => security.tlsHandshakeFailed(err, socket));
  return { server, port: await listen(server, port, host) };
}
