import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, Kafka, ResourcePatternTypes, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOPICS } from '../gateway/events/topics.js';
import { freePort, startOwnKafka, type OwnKafka } from './support/kafka.js';
import { consumeCommitted, expectExactlyOnceInOrder } from './support/sync-check.js';
import { syncedStore, until, windowsOf } from './support/sync-gateway.js';

const run = promisify(execFile);
const CLI = path.resolve(import.meta.dirname, '../dist/gateway/cli.js');
const dir = mkdtempSync(path.join(tmpdir(), 'ucid-sync-config-'));
const CHECKPOINTS = 'ucid.gateway.checkpoints';
let kafka: OwnKafka;
let sasl: string;
const open: Array<ReturnType<typeof syncedStore>> = [];

// A second local broker with a SASL/PLAIN listener and ACLs: `gw` may write but not create topics.
beforeAll(async () => {
  const [plainPort, controllerPort, saslPort] = [await freePort(), await freePort(), await freePort()];
  sasl = `127.0.0.1:${saslPort}`;
  kafka = await startOwnKafka({
    ports: [plainPort, controllerPort],
    props: [
      `listeners=PLAINTEXT://127.0.0.1:${plainPort},CONTROLLER://127.0.0.1:${controllerPort},SASL_PLAINTEXT://${sasl}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${plainPort},SASL_PLAINTEXT://${sasl}`,
      'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT',
      'sasl.enabled.mechanisms=PLAIN',
      'listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_admin="admin-secret" user_gw="gw-secret";',
      'authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer',
      'super.users=User:ANONYMOUS;User:admin',
    ],
  });
  const admin = new Kafka({ clientId: 'setup', brokers: [kafka.bootstrap], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  const allow = (resourceType: AclResourceTypes, resourceName: string, operation: AclOperationTypes) => ({
    resourceType, resourceName, resourcePatternType: ResourcePatternTypes.PREFIXED, principal: 'User:gw', host: '*', operation, permissionType: AclPermissionTypes.ALLOW,
  });
  await admin.createAcls({
    acl: [
      ...[AclOperationTypes.WRITE, AclOperationTypes.DESCRIBE, AclOperationTypes.READ].map((op) => allow(AclResourceTypes.TOPIC, 'ucid.', op)),
      ...[AclOperationTypes.WRITE, AclOperationTypes.DESCRIBE].map((op) => allow(AclResourceTypes.TRANSACTIONAL_ID, 'ucid-gw-', op)),
      allow(AclResourceTypes.GROUP, 'ucid-gw-', AclOperationTypes.READ),
    ],
  });
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic: TOPICS.scores, numPartitions: 12 }, { topic: CHECKPOINTS, numPartitions: 3 }] });
  await admin.disconnect();
});

afterAll(async () => {
  for (const gw of open) await gw.close();
  await kafka?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

function gateway(id: string, sync: Parameters<typeof syncedStore>[2]) {
  const gw = syncedStore(dir, id, { batchMaxEvents: 200, connectionTimeout: '2s', ...sync });
  open.push(gw);
  gw.add(windowsOf(id, 5, Date.UTC(2026, 2, 1), 0));
  return gw;
}

async function cli(args: string[], sync: object): Promise<{ code: number; stdout: string; stderr: string }> {
  const file = path.join(dir, `cli-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify({ gateway: { id: 'gw-cli', dataDir: dir }, sync }));
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args, '--config', file], { timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('sync worker with bad configuration: a clear error, retried, nothing lost locally', () => {
  it('unreachable bootstrap', async () => {
    const port = await freePort();
    const gw = gateway('gw-unreachable', { brokers: [`127.0.0.1:${port}`] });
    const events = gw.events();
    await until('retried', () => gw.worker.status().failures >= 2);
    expect(gw.worker.status()).toMatchObject({
      state: 'offline', lastError: { code: 'UPLINK_UNAVAILABLE', message: expect.stringMatching(new RegExp(`cannot reach Kafka at 127.0.0.1:${port}`)) },
    });
    expect(gw.events()).toBe(events);
  }, 120000);

  it('bad SASL credentials', async () => {
    const gw = gateway('gw-badpass', { brokers: [sasl], sasl: { mechanism: 'plain', username: 'gw', password: 'wrong' } });
    const events = gw.events();
    await until('retried', () => gw.worker.status().failures >= 2);
    expect(gw.worker.status().lastError).toMatchObject({ code: 'UPLINK_REJECTED', message: expect.stringMatching(/SASL authentication to .* failed \(check sync.sasl\)/) });
    expect(gw.events()).toBe(events);
  }, 120000);

  it('missing topic without create rights; delivered exactly once after `kafka create-topics` by an authorised principal', async () => {
    const gwCreds = { mechanism: 'plain' as const, username: 'gw', password: 'gw-secret' };
    const gw = gateway('gw-nocreate', { brokers: [sasl], sasl: gwCreds, createTopics: true });
    const events = gw.events();
    await until('retried', () => gw.worker.status().failures >= 2);
    expect(gw.worker.status().lastError).toMatchObject({ code: 'UPLINK_REJECTED', message: expect.stringMatching(/not authorised .*AUTHORIZATION_FAILED/) });
    expect(gw.events()).toBe(events);

    const denied = await cli(['kafka', 'create-topics'], { brokers: [sasl], sasl: gwCreds });
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(/not authorised .*AUTHORIZATION_FAILED[\s\S]*may not create topics/);

    const adminCreds = { brokers: [sasl], sasl: { mechanism: 'plain', username: 'admin', password: 'admin-secret' } };
    const created = await cli(['kafka', 'create-topics'], adminCreds);
    expect(created.stderr).toBe('');
    expect(created.stdout).toContain('created ucid.alerts (6 partitions, retention 720 h)');
    expect(created.stdout).toContain('exists  ucid.processed.scores');
    const again = await cli(['kafka', 'create-topics'], adminCreds);
    expect(again.stdout).not.toContain('created');

    await until('drained once the topic exists', gw.drained);
    expectExactlyOnceInOrder(await consumeCommitted(kafka.bootstrap, [TOPICS.scores, TOPICS.alerts], 'gw-nocreate', gw.expected.length), gw.expected, 'after create-topics');
  }, 120000);
});
