import { readFileSync, writeFileSync } from 'node:fs';
import mqtt from 'mqtt';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../gateway/broker-security/passwords.js';
import { GatewayProcess, eventually, type LogLine } from './support/gateway-process.js';
import { NotifyListener } from './support/notify-listener.js';

const SENSOR = { id: 'air-1', lat: 41.015, lon: 28.979, contexts: ['CLIMATE'], expectedInterval: '30s' };
const EXTRA_DRIVER = { type: 'serial', name: 'extra', path: '/nonexistent/ttyUSB9', sensorId: 'air-1', format: { kind: 'sds011' } };

describe('sd_notify from the running gateway', () => {
  it('sends READY=1 after start, WATCHDOG=1 while idle, STOPPING=1 on SIGTERM', async () => {
    const listener = await NotifyListener.start();
    let gateway: GatewayProcess | undefined;
    try {
      gateway = await GatewayProcess.start({}, { env: { NOTIFY_SOCKET: listener.socketPath, WATCHDOG_USEC: '900000' } });
      await listener.waitFor('WATCHDOG=1', 3);
      expect(listener.assignments.slice(0, 2)).toEqual(['READY=1', expect.stringMatching(/^STATUS=ready: /)]);
      expect(gateway.logs.find((l) => l.msg === 'systemd watchdog armed')?.watchdogMs).toBe(900);
      expect(listener.count('STOPPING=1')).toBe(0);
      expect(await gateway.stop()).toBe(0);
      await listener.waitFor('STOPPING=1');
      expect(listener.assignments.indexOf('STOPPING=1')).toBeGreaterThan(listener.assignments.indexOf('READY=1'));
    } finally {
      await gateway?.stop();
      listener.close();
    }
  });
});

describe('the log on stdout', () => {
  it('exits 0 on SIGTERM although stdout fails with EPIPE', async () => {
    const gateway = await GatewayProcess.start({});
    try {
      gateway.child.stdout!.destroy(); // as a supervisor's log pipe that died: every write now fails with EPIPE
      const stuck = new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 20_000).unref());
      expect(await Promise.race([gateway.stop(), stuck])).toBe(0);
    } finally {
      if (gateway.child.exitCode === null && gateway.child.signalCode === null) await gateway.kill();
    }
  });

  it('drops and counts log lines once 4 MiB wait for a reader that stopped reading, and keeps acknowledging', async () => {
    const gateway = await GatewayProcess.start({
      sensors: [{ id: 'air-1', lat: 41.015, lon: 28.979, contexts: ['CLIMATE'], expectedInterval: '30s' }],
    });
    const dropped = () => gateway.metric('ucid_log_lines_dropped_total');
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${gateway.mqttPort}`, { clientId: 'log-flood' });
    try {
      expect(await dropped()).toBe(0);
      gateway.child.stdout!.pause(); // nothing reads the gateway's log from here on
      // an unreadable payload is a warn line naming its topic, at most 10 a minute per topic: 1,000 topics of
      // ~4 KB, 3 publishes each, are ~12 MB of log
      const long = 'x'.repeat(4_000);
      for (let i = 0; i < 3_000; i++) client.publish(`sensors/pm25/${long}-${i % 1_000}`, 'not json', { qos: 0 });
      await eventually(async () => (await dropped()) > 0, 30_000);
      await client.publishAsync('sensors/pm25/air-1', '12', { qos: 1 });
      expect(gateway.query<{ n: number }>("SELECT count(*) AS n FROM readings WHERE sensor_id = 'air-1'")[0]!.n).toBe(1);
      gateway.child.stdout!.resume();
    } finally {
      await client.endAsync();
      gateway.child.stdout!.resume();
      expect(await gateway.stop()).toBe(0);
    }
  });
});

describe('SIGHUP reload and SIGUSR2 log level', () => {
  let gateway: GatewayProcess;
  let config: Record<string, unknown>;
  const pw = { u1: 'first-user-pw', u2: 'second-user-pw' };
  const connects = (username: string, password: string) =>
    mqtt.connectAsync(`mqtt://127.0.0.1:${gateway.mqttPort}`, { username, password, reconnectPeriod: 0 }).then(async (c) => {
      await c.endAsync();
      return true;
    }, () => false);
  const nextLog = async (from: number, match: (l: LogLine) => boolean) => {
    await gateway.waitForLog((l) => gateway.logs.indexOf(l) >= from && match(l));
    return gateway.logs.slice(from).find(match)!;
  };
  const hup = (next: unknown) => {
    writeFileSync(gateway.configFile, typeof next === 'string' ? next : stringify(next));
    const from = gateway.logs.length;
    gateway.child.kill('SIGHUP');
    return from;
  };

  beforeAll(async () => {
    gateway = await GatewayProcess.start({
      sensors: [SENSOR],
      mqtt: { allowAnonymous: false, auth: { users: [{ username: 'u1', passwordHash: await hashPassword(pw.u1) }] } },
    });
    config = parse(readFileSync(gateway.configFile, 'utf8')) as Record<string, unknown>;
  });

  afterAll(async () => {
    expect(await gateway?.stop()).toBe(0);
  });

  it('rejects an invalid config, listing every problem, and keeps running on the old one', async () => {
    const from = hup({ ...config, mqtt: { ...(config.mqtt as object), port: 'eighty' }, surprise: true });
    const line = await nextLog(from, (l) => l.msg === 'config reload rejected; the running config stays');
    expect(line.problems).toEqual(expect.arrayContaining([expect.stringMatching(/^mqtt\.port: /), 'surprise: unknown key']));
    const broken = hup('gateway: [unclosed');
    await nextLog(broken, (l) => l.msg === 'config reload rejected; the running config stays');
    expect(gateway.child.exitCode).toBeNull();
    expect(await connects('u1', pw.u1)).toBe(true);
  });

  it('applies users, log level and driver changes in place and names what needs a restart', async () => {
    expect(await connects('u2', pw.u2)).toBe(false);
    const mqttSection = config.mqtt as { auth: { users: object[] } };
    const next = {
      ...config,
      gateway: { ...(config.gateway as object), logLevel: 'debug' },
      mqtt: { ...mqttSection, port: 1, auth: { users: [...mqttSection.auth.users, { username: 'u2', passwordHash: await hashPassword(pw.u2) }] } },
      drivers: [EXTRA_DRIVER],
    };
    const from = hup(next);
    const line = await nextLog(from, (l) => typeof l.msg === 'string' && l.msg.startsWith('config reloaded'));
    expect(line.applied).toEqual(['gateway.logLevel', 'mqtt security (2 users)', 'drivers (started: extra; stopped: none)']);
    expect(line.restartNeeded).toEqual(['mqtt (listener, prefix or payload limit)']);
    await nextLog(from, (l) => l.driver === 'extra');
    expect(await connects('u2', pw.u2)).toBe(true);

    const back = hup({ ...next, drivers: [] });
    const removed = await nextLog(back, (l) => typeof l.msg === 'string' && l.msg.startsWith('config reloaded'));
    expect(removed.applied).toContain('drivers (started: none; stopped: extra)');
  });

  it('exports every metric the example Grafana dashboard queries, and counts reloads', async () => {
    const ready = gateway.logs.find((l) => l.msg === 'gateway ready')!;
    const text = await (await fetch(`http://127.0.0.1:${ready.httpPort}/metrics`)).text();
    const dashboard = readFileSync(new URL('../examples/grafana-dashboard.json', import.meta.url), 'utf8');
    const queried = new Set([...dashboard.matchAll(/\b((?:ucid|process|nodejs)_[a-z0-9_]+)/g)].map((m) => m[1]!.replace(/_bucket$/, '')));
    const exported = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]));
    expect([...queried].filter((name) => !exported.has(name))).toEqual([]);
    expect(text).toMatch(/^ucid_config_reloads_total\{result="rejected"\} 2$/m);
    expect(text).toMatch(/^ucid_config_reloads_total\{result="applied"\} 2$/m);
  });

  it('cycles the log level on SIGUSR2', async () => {
    const levels: string[] = [];
    for (let i = 0; i < 3; i++) {
      const from = gateway.logs.length;
      gateway.child.kill('SIGUSR2');
      levels.push((await nextLog(from, (l) => l.msg === 'log level changed')).to as string);
    }
    // the config now says debug (applied by the previous reload): debug → trace → debug …
    expect(levels).toEqual(['trace', 'debug', 'trace']);
  });
});
