import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { ConfigInvalidError } from '../gateway/errors.js';
import { resolveConfig } from '../gateway/config/load.js';
import { CLI } from './support/gateway-process.js';
import { BrokerSecurity, buildPolicy, type RefusalReason } from '../gateway/broker-security/index.js';
import { parseCredentialsFile, upsertCredential } from '../gateway/broker-security/credentials.js';
import { hashPassword, verifyPassword } from '../gateway/broker-security/passwords.js';
import type { MqttSecurityConfig } from '../gateway/broker-security/index.js';
import { filterCovers, substitute, topicMatches } from '../gateway/broker-security/topics.js';

const LIMITS = { maxTopicLevels: 16, maxConnections: 100, maxConnectionsPerIp: 10, publishRate: null };

function security(config: Partial<MqttSecurityConfig>) {
  const refused: RefusalReason[] = [];
  const full = { allowAnonymous: false, auth: { users: [] }, limits: LIMITS, topicPrefix: 'sensors', ...config } as MqttSecurityConfig;
  const { policy, problems } = buildPolicy(full, process.cwd());
  expect(problems).toEqual([]);
  const sec = new BrokerSecurity(policy, pino({ level: 'silent' }), { refused: (r) => void refused.push(r), throttled: () => undefined });
  return { sec, refused };
}

describe('topic filters', () => {
  it('matches like MQTT 3.1.1', () => {
    expect(topicMatches('sensors/+/air-1', 'sensors/pm25/air-1')).toBe(true);
    expect(topicMatches('sensors/+/air-1', 'sensors/pm25/air-2')).toBe(false);
    expect(topicMatches('sensors/#', 'sensors')).toBe(true);
    expect(topicMatches('#', '$SYS/broker')).toBe(false);
    expect(topicMatches('sensors/+', 'sensors/a/b')).toBe(false);
  });

  it('covers a subscription only when every topic it could match is allowed', () => {
    expect(filterCovers('sensors/#', 'sensors/+/air-1')).toBe(true);
    expect(filterCovers('sensors/+/air-1', 'sensors/#')).toBe(false);
    expect(filterCovers('sensors/+/air-1', 'sensors/+/air-1')).toBe(true);
    expect(filterCovers('sensors/pm25/+', 'sensors/+/x')).toBe(false);
  });

  it('refuses substitutions that would smuggle levels or wildcards', () => {
    expect(substitute('sensors/+/%u', { username: 'air-1', clientId: 'c' })).toBe('sensors/+/air-1');
    expect(substitute('sensors/+/%u', { username: 'a/#', clientId: 'c' })).toBeNull();
    expect(substitute('sensors/+/%u', { username: null, clientId: 'c' })).toBeNull();
    expect(substitute('clients/%c', { username: null, clientId: 'c1' })).toBe('clients/c1');
  });
});

describe('passwords and credentials files', () => {
  it('hashes with a fresh salt and verifies', async () => {
    const a = await hashPassword('s3cret');
    const b = await hashPassword('s3cret');
    expect(a).not.toBe(b);
    expect(a).toMatch(/^\$scrypt\$N=16384,r=8,p=1\$/);
    expect(await verifyPassword('s3cret', a)).toBe(true);
    expect(await verifyPassword('s3cret!', a)).toBe(false);
    expect(await verifyPassword('s3cret', 'plain')).toBe(false);
  });

  it('parses, reports bad lines, and upserts', async () => {
    const hash = await hashPassword('x');
    const { users, problems } = parseCredentialsFile(`# sensors\nair-1:${hash}\nbad line\nair-2:plaintext\n`, 'f');
    expect([...users.keys()]).toEqual(['air-1']);
    expect(problems).toEqual(['f:3: expected username:hash', 'f:4: the hash for "air-2" is not a scrypt hash from `ucid-gateway passwd`']);
    const text = upsertCredential(upsertCredential('', 'air-1', 'H1'), 'air-2', 'H2');
    expect(upsertCredential(text, 'air-1', 'H3')).toBe('air-1:H3\nair-2:H2\n');
  });
});

describe('authentication and ACL', () => {
  const client = (id: string) => ({ id, conn: {} });

  it('refuses anonymous clients unless enabled, and wrong passwords always', async () => {
    const hash = await hashPassword('right');
    const { sec, refused } = security({ auth: { users: [{ username: 'air-1', passwordHash: hash }] } });
    expect(await sec.authenticate(client('a'), undefined, undefined)).toBe(false);
    expect(await sec.authenticate(client('b'), 'air-1', Buffer.from('wrong'))).toBe(false);
    expect(await sec.authenticate(client('c'), 'nobody', Buffer.from('right'))).toBe(false);
    expect(await sec.authenticate(client('d'), 'air-1', Buffer.from('right'))).toBe(true);
    expect(refused).toEqual(['anonymous', 'bad_credentials', 'bad_credentials']);
  });

  it('lets a sensor publish only under its own topics by default, and subscribe nowhere', async () => {
    const hash = await hashPassword('pw');
    const { sec, refused } = security({ auth: { users: [{ username: 'air-1', passwordHash: hash }] } });
    const c = client('air-1-client');
    await sec.authenticate(c, 'air-1', Buffer.from('pw'));
    expect(sec.checkPublish(c, 'sensors/pm25/air-1')).toBeNull();
    expect(sec.checkPublish(c, 'sensors/all/air-1')).toBeNull();
    expect(sec.checkPublish(c, 'sensors/pm25/air-2')).toBe('acl_publish');
    expect(sec.checkPublish(c, '$SYS/x')).toBe('acl_publish');
    expect(sec.checkSubscribe(c, 'sensors/#')).toBe(false);
    expect(refused).toEqual(['acl_publish', 'acl_publish', 'acl_subscribe']);
  });

  it('applies explicit rules by user, %c, and for anonymous clients', async () => {
    const hash = await hashPassword('pw');
    const { sec } = security({
      allowAnonymous: true,
      auth: { users: [{ username: 'dash', passwordHash: hash }, { username: 'air-1', passwordHash: hash }] },
      acl: [
        { users: ['dash'], anonymous: false, publish: [], subscribe: ['sensors/#'] },
        { anonymous: false, publish: ['sensors/+/%u', 'clients/%c/status'], subscribe: [] },
        { anonymous: true, publish: [], subscribe: ['public/#'] },
      ],
    });
    const dash = client('dash-1');
    const air = client('c7');
    const anon = client('anon');
    await sec.authenticate(dash, 'dash', Buffer.from('pw'));
    await sec.authenticate(air, 'air-1', Buffer.from('pw'));
    await sec.authenticate(anon, undefined, undefined);
    expect(sec.checkSubscribe(dash, 'sensors/+/air-1')).toBe(true);
    expect(sec.checkSubscribe(air, 'sensors/#')).toBe(false);
    expect(sec.checkPublish(air, 'clients/c7/status')).toBeNull();
    expect(sec.checkPublish(air, 'clients/c8/status')).toBe('acl_publish');
    expect(sec.checkPublish(anon, 'sensors/pm25/x')).toBe('acl_publish');
    expect(sec.checkSubscribe(anon, 'public/news')).toBe(true);
  });

  it('answers a connection\'s repeated topics from the policy in force: a replaced policy is asked again', async () => {
    const hash = await hashPassword('pw');
    const config = { auth: { users: [{ username: 'air-1', passwordHash: hash }] }, allowAnonymous: false, limits: LIMITS, topicPrefix: 'sensors' } as MqttSecurityConfig;
    const { sec, refused } = security(config);
    const c = client('air-1-client');
    await sec.authenticate(c, 'air-1', Buffer.from('pw'));
    for (let i = 0; i < 300; i++) expect(sec.checkPublish(c, `sensors/m${i}/air-1`)).toBeNull(); // past the 256 kept
    expect(sec.checkPublish(c, 'sensors/m1/air-1')).toBeNull();
    expect(sec.checkPublish(c, 'sensors/m1/air-2')).toBe('acl_publish');
    expect(sec.checkPublish(c, 'sensors/m1/air-2')).toBe('acl_publish'); // refused and counted each time
    expect(refused).toEqual(['acl_publish', 'acl_publish']);

    sec.replacePolicy(buildPolicy({ ...config, acl: [{ anonymous: false, publish: ['sensors/m1/+'], subscribe: [] }] }, process.cwd()).policy);
    expect(sec.checkPublish(c, 'sensors/m1/air-2')).toBeNull();
    expect(sec.checkPublish(c, 'sensors/m2/air-1')).toBe('acl_publish');
    const other = client('air-1-other');
    await sec.authenticate(other, 'air-1', Buffer.from('pw'));
    expect(sec.checkPublish(other, 'sensors/m2/air-1')).toBe('acl_publish');
  });

  it('delays publishes beyond the per-client rate', async () => {
    const { sec } = security({ allowAnonymous: true, limits: { ...LIMITS, publishRate: { perSecond: 10, burst: 2 } } });
    const c = client('fast');
    expect([sec.publishDelayMs(c, 0), sec.publishDelayMs(c, 0), sec.publishDelayMs(c, 0), sec.publishDelayMs(c, 0)]).toEqual([0, 0, 100, 200]);
    expect(sec.publishDelayMs(c, 1_000)).toBe(0);
  });
});

describe('mqtt security config', () => {
  const problems = (input: unknown) => {
    try {
      resolveConfig(input);
      return [];
    } catch (err) {
      return (err as ConfigInvalidError).problems;
    }
  };

  it('is closed by default and the demo opens it explicitly', () => {
    expect(resolveConfig({}).mqtt.allowAnonymous).toBe(false);
    expect(problems({ drivers: [{ type: 'simulator', name: 'sim' }] })).toEqual([
      'drivers.0.via: the simulator publishes anonymously to the embedded broker: set mqtt.allowAnonymous: true or via: direct',
    ]);
    expect(problems({ mqtt: { allowAnonymous: true }, drivers: [{ type: 'simulator', name: 'sim' }] })).toEqual([]);
  });

  it('lists every problem in auth, acl and tls', () => {
    expect(problems({
      mqtt: {
        auth: { users: [{ username: 'a:b', passwordHash: 'plain' }] },
        acl: [{ publish: ['a/#/b'], subscribe: ['x+'] }],
        tls: { cert: 'c', key: 'k', clientCertificates: 'required' },
      },
    })).toEqual([
      'mqtt.auth.users.0.username: no : / + # or spaces',
      expect.stringMatching(/^mqtt\.auth\.users\.0\.passwordHash: expected a scrypt hash/),
      'mqtt.acl.0.publish.0: not a valid MQTT topic filter',
      'mqtt.acl.0.subscribe.0: not a valid MQTT topic filter',
      'mqtt.tls.ca: needed when clientCertificates is required',
    ]);
  });
});

describe('ucid-gateway passwd', () => {
  const run = promisify(execFile);
  const passwd = (args: string[], input: string) => new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
    const child = execFile(process.execPath, [CLI, 'passwd', ...args], (err, stdout, stderr) => (err ? reject(err) : resolve({ stdout, stderr })));
    child.stdin!.end(input);
  });

  it('prints user:hash, or adds and replaces lines in a credentials file', async () => {
    const { stdout } = await passwd(['air-1'], 'first\n');
    const [user, hash] = [stdout.slice(0, stdout.indexOf(':')), stdout.slice(stdout.indexOf(':') + 1).trim()];
    expect(user).toBe('air-1');
    expect(await verifyPassword('first', hash)).toBe(true);
    expect(stdout).not.toContain('first');

    const file = path.join(mkdtempSync(path.join(tmpdir(), 'ucid-passwd-')), 'mqtt-passwd');
    await passwd(['air-1', '--file', file], 'one\n');
    await passwd(['air-2', '--file', file], 'two\n');
    await passwd(['air-1', '--file', file], 'three\n');
    const { users, problems } = parseCredentialsFile(readFileSync(file, 'utf8'), file);
    expect(problems).toEqual([]);
    expect([...users.keys()]).toEqual(['air-1', 'air-2']);
    expect(await verifyPassword('three', users.get('air-1')!)).toBe(true);
    await expect(run(process.execPath, [CLI, 'passwd', 'bad/user'])).rejects.toThrow();
  });
});
