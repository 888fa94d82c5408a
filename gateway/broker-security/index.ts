import type { TlsOptions } from 'node:tls';
import type { Logger } from 'pino';
import type { MqttSecurityOutput } from './schema.js';
import { BrokerSecurity, buildPolicy } from './security.js';
import { tlsServerOptions } from './tls.js';

export { BrokerSecurity, buildPolicy, type Identity, type RefusalReason } from './security.js';
export { hashPassword, verifyPassword } from './passwords.js';

/** The parts of the resolved `mqtt:` section that security reads. */
export type MqttSecurityConfig = MqttSecurityOutput & { topicPrefix: string };
type MqttSection = MqttSecurityConfig & { host: string };

export interface MqttSecurityMetrics {
  mqttRefused: { inc(labels: { reason: string }): void };
  mqttThrottled: { inc(): void };
}

export interface TlsListener {
  host: string;
  port: number;
  options: TlsOptions;
}

/** The TLS listener's options; an unreadable file is added to `problems`. */
export function tlsListener(mqtt: MqttSection, baseDir: string, problems: string[]): TlsListener | undefined {
  if (!mqtt.tls) return undefined;
  try {
    return { host: mqtt.tls.host ?? mqtt.host, port: mqtt.tls.port, options: tlsServerOptions(mqtt.tls, baseDir) };
  } catch (err) {
    problems.push(`mqtt.tls: ${(err as Error).message}`);
    return undefined;
  }
}

/** The broker's security from the `mqtt:` section, or every problem found (bad credentials file, unreadable certificate). */
export function createBrokerSecurity(mqtt: MqttSection, baseDir: string, log: Logger, metrics: MqttSecurityMetrics) {
  const { policy, problems } = buildPolicy(mqtt, baseDir);
  const tls = tlsListener(mqtt, baseDir, problems);
  if (problems.length) return { problems, security: null, tls: undefined };
  const security = new BrokerSecurity(policy, log, { refused: (reason) => metrics.mqttRefused.inc({ reason }), throttled: () => metrics.mqttThrottled.inc() });
  return { problems, security, tls };
}
