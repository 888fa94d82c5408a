// One MQTT load generator for every peer (gateway, bare aedes, Mosquitto), so the figures compare.
import mqtt from 'mqtt';

/**
 * `warmInMs`: `steadyP99Ms` leaves out the publishes of the run's first `warmInMs` (fresh connections, code
 * re-optimised for them; docs/benchmarks.md "Latency at half the maximum rate"); `p99Ms` keeps everything.
 *
 * `clients` publishers, each keeping `inflight` QoS 1 publishes outstanding (or paced to `rate` msgs/s
 * in total), until `messages` are acknowledged. Latency = publish → PUBACK (QoS 1), which for the
 * gateway is publish → SQLite commit, since it acknowledges only after the commit. For QoS 0 the rate is
 * what `delivered()` (a peer-side count) saw arrive, and `delivered` is the fraction that arrived.
 *
 * The publishers keep Nagle's algorithm on, as mqtt.js, paho-mqtt and libmosquitto do by default;
 * BENCH_TCP_NODELAY=1 turns it off (docs/benchmarks.md "Nagle and the commit interval").
 */
export async function runLoad({ port, clients = 4, messages = 20_000, qos = 1, inflight = 100, rate = 0, sensors = 100, delivered = null, prefix = 'bench', onAck = null, warmInMs = 1_000 }) {
  // in groups of 50, so a connection per sensor (footprint.mjs BENCH_FOOTPRINT_CLIENTS) stays within the listen backlog
  const conns = [];
  for (let i = 0; i < clients; i += 50) {
    conns.push(...await Promise.all(Array.from({ length: Math.min(50, clients - i) }, (_, j) =>
      mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: `bench-${process.pid}-${i + j}-${Date.now()}`, reconnectPeriod: 0 }))));
  }
  if (process.env.BENCH_TCP_NODELAY === '1') for (const c of conns) c.stream.setNoDelay(true);
  const latencies = [];
  const steady = [];
  const perClient = Math.ceil(messages / clients);
  // paced: one timer for every publisher (a timer each would be 100,000 callbacks/s at 1,000 connections), every
  // 1 ms and each publisher out of phase with the others, so arrivals are spread as independent sensors' are: with
  // 10 ms ticks they came in bursts, and the gateway's CPU at 1,000 readings/s depended on how the bursts lined up
  // (a timer each: 20.8–25.0 %; one shared: 14.9–15.9 %)
  const pumps = new Set();
  let pacer = null;
  const started = performance.now();
  await Promise.all(conns.map((client, c) => new Promise((resolve, reject) => {
    let sent = 0;
    let done = 0;
    const publishOne = () => {
      if (sent >= perClient) return;
      const seq = sent++;
      const sensor = `${prefix}-${c}-${seq % Math.max(1, Math.floor(sensors / clients))}`;
      const t0 = performance.now();
      client.publish(`sensors/pm25/${sensor}`, JSON.stringify({ value: 10 + (seq % 50), ts: Date.now() }), { qos }, (err) => {
        if (err) return reject(err);
        const ms = performance.now() - t0;
        latencies.push(ms);
        if (t0 - started >= warmInMs) steady.push(ms);
        onAck?.(performance.timeOrigin + t0, ms);
        if (++done === perClient) resolve();
        else if (!rate) publishOne();
      });
    };
    if (rate) {
      // paced by elapsed time: a late timer catches up instead of drifting off the rate (the old per-tick
      // count rounded up, 3 a tick for 2.5, so paced runs went ~20% over their rate)
      const perClientRate = rate / clients;
      const phase = c / clients;
      const pump = (now) => {
        const due = Math.min(perClient, Math.floor(((now - started) / 1000) * perClientRate + phase));
        while (sent < due) publishOne();
        if (sent >= perClient) pumps.delete(pump);
      };
      pumps.add(pump);
      pacer ??= setInterval(() => {
        const now = performance.now();
        for (const p of pumps) p(now);
        if (pumps.size === 0) clearInterval(pacer);
      }, 1);
    } else {
      for (let i = 0; i < inflight; i++) publishOne();
    }
  })));
  let seconds = (performance.now() - started) / 1000;
  let received = messages;
  if (qos === 0 && delivered) {
    // QoS 0 has no acknowledgement: count what reached the peer, until it stops growing for 2 s.
    let last = -1;
    let lastChange = performance.now();
    for (;;) {
      received = await delivered();
      if (received !== last) {
        last = received;
        lastChange = performance.now();
        seconds = (lastChange - started) / 1000;
      }
      if (received >= messages || performance.now() - lastChange > 2_000) break;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  await Promise.all(conns.map((c) => c.endAsync()));
  const pct = (xs, p) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
  latencies.sort((a, b) => a - b);
  steady.sort((a, b) => a - b);
  return { msgsPerSec: received / seconds, delivered: received / messages, p50Ms: pct(latencies, 50), p99Ms: pct(latencies, 99), steadyP99Ms: pct(steady, 99), seconds };
}
