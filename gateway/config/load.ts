import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigInvalidError, GatewayError } from '../errors.js';
import { deepFreeze } from './freeze.js';
import { configSchema, type ConfigInput, type GatewayConfig } from './schema.js';
import { DRIVER_REGISTRY } from '../../drivers/registry.js';
import type { SensorDefinition } from './sensor.js';
import { allWindowSpecs } from './window-specs.js';
import { replaySpanMs } from '../windows/index.js';
import { ucidPointForCell, type UcidCell } from '../ucid/cell-point.js';
import { loadH3 } from '../ucid/h3.js';

export type ResolvedConfig = GatewayConfig & {
  gateway: GatewayConfig['gateway'] & { dataDir: string };
  store: GatewayConfig['store'] & { path: string };
  /** The sensor registry: configured sensors plus those drivers declare (the simulator's), each with its H3 cell at scoring.h3Resolution. */
  registry: ReadonlyMap<string, SensorDefinition & { city: string; cell: string }>;
  /** The UCID-V1 point of each registered cell UCID-V1 can name (cell-point.ts), so encoding needs no h3-js (ucid/h3.ts). */
  ucidPoints: readonly UcidCell[];
};

/** A path segment as written in the file; a key that is empty, has spaces or dots is quoted so the path stays readable. */
const segment = (key: PropertyKey) => (typeof key === 'string' && !/^[^\s.]+$/.test(key) ? JSON.stringify(key) : String(key));

export function formatIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.flatMap((issue) => {
    const at = issue.path.length ? issue.path.map(segment).join('.') : '(root)';
    if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => `${at === '(root)' ? segment(key) : `${at}.${segment(key)}`}: unknown key`);
    return [`${at}: ${issue.message}`];
  });
}

function crossCheck(config: GatewayConfig): string[] {
  const errors: string[] = [];
  const seen = new Map<string, number>();
  config.sensors.forEach((sensor, i) => {
    const first = seen.get(sensor.id);
    if (first !== undefined) errors.push(`sensors.${i}.id: duplicate sensor id "${sensor.id}" (also sensors.${first}.id)`);
    else seen.set(sensor.id, i);
    sensor.contexts.forEach((context, j) => {
      if (!(context in config.scoring.contexts)) errors.push(`sensors.${i}.contexts.${j}: no scoring rule for context "${context}"`);
    });
  });
  config.alerts.thresholds.forEach((rule, i) => {
    if (rule.on === 'score' && !(rule.context in config.scoring.contexts)) errors.push(`alerts.thresholds.${i}.context: no scoring rule for context "${rule.context}"`);
  });
  const hooks = new Set<string>();
  config.alerts.webhooks.forEach((hook, i) => {
    if (hooks.has(hook.url)) errors.push(`alerts.webhooks.${i}.url: duplicate webhook url`);
    hooks.add(hook.url);
  });
  const names = new Map<string, number>();
  config.drivers.forEach((driver, i) => {
    const first = names.get(driver.name);
    if (first !== undefined) errors.push(`drivers.${i}.name: duplicate driver name "${driver.name}" (also drivers.${first}.name)`);
    else names.set(driver.name, i);
  });
  const { resultRetention } = config.store;
  const stillRead = replaySpanMs(allWindowSpecs(config.windows)) + config.scoring.staleHorizon;
  if (resultRetention > 0 && resultRetention < stillRead) {
    errors.push(`store.resultRetention: ${minutes(resultRetention)} would delete results still revised or scored from: at least ${minutes(stillRead)} (revisionHorizon + the longest window + allowedLateness + scoring.staleHorizon), or 0 to keep them`);
  }
  return errors;
}

const minutes = (ms: number): string => `${Math.ceil(ms / 60_000)} min`;

function buildRegistry(config: GatewayConfig): ResolvedConfig['registry'] {
  const registry = new Map<string, SensorDefinition & { city: string; cell: string }>();
  const { latLngToCell } = loadH3();
  const place = (sensor: SensorDefinition) => registry.set(sensor.id, {
    ...sensor, city: sensor.city ?? config.gateway.city, cell: latLngToCell(sensor.lat, sensor.lon, config.scoring.h3Resolution),
  });
  for (const driver of config.drivers) {
    const entry = DRIVER_REGISTRY[driver.type] as { sensorsOf?: (c: typeof driver) => SensorDefinition[] };
    for (const sensor of entry.sensorsOf?.(driver) ?? []) place(sensor);
  }
  for (const sensor of config.sensors) place(sensor);
  return registry;
}

function ucidPointsOf(registry: ResolvedConfig['registry']): UcidCell[] {
  const cells = new Set([...registry.values()].map((s) => s.cell));
  return [...cells].flatMap((cell) => ucidPointForCell(cell) ?? []);
}

/** Validates a parsed config object; every problem is listed as `path: message`. The result is frozen. */
export function resolveConfig(input: unknown, baseDir = process.cwd()): ResolvedConfig {
  const parsed = configSchema.safeParse(input ?? {});
  if (!parsed.success) throw new ConfigInvalidError(formatIssues(parsed.error.issues));
  const config = parsed.data;
  const errors = crossCheck(config);
  if (errors.length) throw new ConfigInvalidError(errors);
  const dataDir = config.gateway.dataDir
    ? path.resolve(baseDir, config.gateway.dataDir)
    : path.resolve(process.env.STATE_DIRECTORY ?? 'data');
  const registry = buildRegistry(config);
  return deepFreeze({
    ...config,
    gateway: { ...config.gateway, dataDir },
    store: { ...config.store, path: path.resolve(dataDir, config.store.path ?? 'gateway.db') },
    registry,
    ucidPoints: ucidPointsOf(registry),
  });
}

export function loadConfigFile(file: string): ResolvedConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new GatewayError('CONFIG_UNREADABLE', `${file}: ${(err as Error).message}`, { cause: err });
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length) throw new ConfigInvalidError(doc.errors.map((e) => `${file}: ${e.message.split('\n')[0]}`));
  let input: ConfigInput;
  try {
    input = doc.toJS() as ConfigInput;
  } catch (err) {
    // the parser accepts some documents it cannot turn into values (an alias to an anchor that is not set)
    throw new ConfigInvalidError([`${file}: ${(err as Error).message.split('\n')[0]}`]);
  }
  return resolveConfig(input, path.dirname(path.resolve(file)));
}
