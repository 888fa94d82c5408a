// A bare aedes broker (in-memory, no ingest) as the peer the gateway's broker is measured against.
// With --gateway-memory: the gateway's own memory settings first (gateway/memory.ts, from dist/; peers.mjs adds the unit's
// malloc settings and node flags), so a footprint compares like with like.
import { createServer } from 'node:net';
if (process.argv.includes('--gateway-memory')) await import('../../dist/gateway/memory.js');
const { Aedes } = await import('aedes');

const aedes = await Aedes.createBroker();
const server = createServer(aedes.handle);
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ msg: 'ready', port: server.address().port })));
process.on('SIGTERM', () => aedes.close(() => server.close(() => process.exit(0))));
