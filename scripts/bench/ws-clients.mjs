// Child process of ws.mjs: dashboard clients on their own event loop (as on their own devices), so receiving
// does not slow the load generator's. argv: url, count. Sends 'ready'; on 'count' replies the messages
// received since the last 'count'; on 'close' closes and exits.
import WebSocket from 'ws';

const [url, count] = [process.argv[2], Number(process.argv[3])];
let received = 0;
const sockets = await Promise.all(Array.from({ length: count }, () => new Promise((resolve, reject) => {
  const ws = new WebSocket(url);
  ws.on('message', () => { received++; });
  ws.once('open', () => {
    ws.send(JSON.stringify({ type: 'subscribe', readings: true }));
    resolve(ws);
  });
  ws.once('error', reject);
})));
process.on('message', async (m) => {
  if (m === 'count') {
    process.send({ received });
    received = 0;
  } else if (m === 'close') {
    await Promise.all(sockets.map((ws) => new Promise((resolve) => {
      ws.once('close', resolve);
      ws.close();
    })));
    process.exit(0);
  }
});
process.send('ready');
