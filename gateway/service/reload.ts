import type { ResolvedConfig } from '../config/load.js';

/** What a SIGHUP reload applies in place; everything else is listed as needing a restart. */
export interface ReloadPlan {
  logLevel: boolean;
  /** Users, credentials file, ACL and limits (except maxTopicLevels): new rules apply at once. */
  mqttSecurity: true;
  /** New certificate/key/CA files for new TLS connections. */
  mqttTlsFiles: boolean;
  drivers: boolean;
  restartNeeded: string[];
  /** The config the gateway runs after the reload: applied parts new, the rest as running. */
  effective: ResolvedConfig;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const registryOf = (c: ResolvedConfig) => [...c.registry.entries()].sort(([a], [b]) => a.localeCompare(b));
const HOT_MQTT_KEYS = ['allowAnonymous', 'auth', 'acl', 'limits', 'tls'];

export function planReload(running: ResolvedConfig, next: ResolvedConfig): ReloadPlan {
  const restart: string[] = [];
  const { logLevel: runningLevel, ...runningGateway } = running.gateway;
  const { logLevel: nextLevel, ...nextGateway } = next.gateway;
  if (!same(runningGateway, nextGateway)) restart.push('gateway');

  const mqttCold = (c: ResolvedConfig) => Object.fromEntries(Object.entries(c.mqtt).filter(([k]) => !HOT_MQTT_KEYS.includes(k)));
  if (!same(mqttCold(running), mqttCold(next))) restart.push('mqtt (listener, prefix or payload limit)');
  if (running.mqtt.limits.maxTopicLevels !== next.mqtt.limits.maxTopicLevels) restart.push('mqtt.limits.maxTopicLevels');
  const tlsShape = (c: ResolvedConfig) => c.mqtt.tls && { host: c.mqtt.tls.host, port: c.mqtt.tls.port, clientCertificates: c.mqtt.tls.clientCertificates };
  const tlsShapeSame = same(tlsShape(running), tlsShape(next));
  if (!tlsShapeSame) restart.push('mqtt.tls (listener or client certificate mode)');

  const mqttDrivers = (c: ResolvedConfig) => c.drivers.filter((d) => d.type === 'mqtt');
  const driversChanged = !same(running.drivers, next.drivers);
  const registrySame = same(registryOf(running), registryOf(next));
  const driversHot = driversChanged && registrySame && same(mqttDrivers(running), mqttDrivers(next));
  if (driversChanged && !driversHot) restart.push('drivers (the change alters the sensor registry or an mqtt ingest driver)');

  const handled = new Set(['gateway', 'mqtt', 'drivers', 'registry']);
  for (const key of Object.keys(next) as (keyof ResolvedConfig)[]) {
    if (!handled.has(key) && !same(running[key], next[key])) restart.push(key);
  }
  if (!registrySame && !restart.includes('sensors')) restart.push('sensors (registry)');

  const effective: ResolvedConfig = {
    ...running,
    gateway: { ...running.gateway, logLevel: nextLevel },
    mqtt: {
      ...running.mqtt,
      allowAnonymous: next.mqtt.allowAnonymous, auth: next.mqtt.auth, acl: next.mqtt.acl,
      limits: { ...next.mqtt.limits, maxTopicLevels: running.mqtt.limits.maxTopicLevels },
      tls: running.mqtt.tls && tlsShapeSame ? next.mqtt.tls : running.mqtt.tls,
    },
    drivers: driversHot ? next.drivers : running.drivers,
  };
  return {
    logLevel: runningLevel !== nextLevel,
    mqttSecurity: true,
    mqttTlsFiles: Boolean(running.mqtt.tls && tlsShapeSame),
    drivers: driversHot,
    restartNeeded: restart,
    effective,
  };
}
