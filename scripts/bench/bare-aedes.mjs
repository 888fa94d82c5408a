// A bare aedes broker (in-memory, no ingest) as the peer the gateway's broker is measured against.
import { createServer } from 'node:net';
import { Aedes } from 'aedes';

const aedes = await Aedes.createBroker();
const server = createServer(aedes.handle);
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ msg: 'ready', port: server.address().port })));
process.on('SIGTERM', () => aedes.close(() => server.close(() => process.exit(0))));
