import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { latLngToCell } from 'h3-js';
import { ConfigInvalidError } from '../errors.js';
import { resolveConfig } from './load.js';
import { DEMO_CONFIG } from './demo.js';
import { ucidPointForCell } from '../ucid/cell-point.js';

const root = path.resolve(import.meta.dirname, '../..');

function problemsOf(input: unknown): string[] {
  try {
    resolveConfig(input);
  } catch (err) {
    if (err instanceof ConfigInvalidError) return err.problems;
    throw err;
  }
  return [];
}

describe('config', () => {
  it('an empty config is valid and fills every default', () => {
    const config = resolveConfig({});
    expect(config.mqtt.port).toBe(1883);
    expect(config.windows.defaults.tumbling).toBe(300_000);
    expect(config.windows.defaults.sliding).toEqual({ size: 900_000, slide: 60_000 });
    expect(config.windows.defaults.sessionGap).toBe(1_800_000);
    expect(config.windows.defaults.allowedLateness).toBe(30_000);
    expect(config.store.rawBudget).toBe(512 * 1024 ** 2);
    expect(Object.keys(config.scoring.contexts)).toEqual(expect.arrayContaining(['CLIMATE', 'TRANSIT']));
  });

  it('lists every problem at once as path: message, unknown keys included', () => {
    const problems = problemsOf({
      gateway: { city: 'Istanbul', colour: 'blue' },
      mqtt: { port: 70000 },
      sensors: [{ id: 's1', lat: 100, lon: 0 }],
      windows: { defaults: { tumbling: 'five minutes' } },
      bogus: true,
    });
    expect(problems).toEqual(expect.arrayContaining([
      expect.stringMatching(/^gateway\.city: expected a 3-letter UCID city code/),
      'gateway.colour: unknown key',
      expect.stringMatching(/^mqtt\.port: /),
      expect.stringMatching(/^sensors\.0\.lat: /),
      expect.stringMatching(/^windows\.defaults\.tumbling: expected a duration/),
      'bogus: unknown key',
    ]));
    expect(problems).toHaveLength(6);
  });

  it('rejects duplicate sensors and contexts without a scoring rule', () => {
    const problems = problemsOf({
      sensors: [{ id: 'a', lat: 41, lon: 29 }, { id: 'a', lat: 41, lon: 29, contexts: ['NOISE'] }],
    });
    expect(problems).toEqual([
      'sensors.1.id: duplicate sensor id "a" (also sensors.0.id)',
      'sensors.1.contexts.0: no scoring rule for context "NOISE"',
    ]);
  });

  it('keeps window results and scores 30 days, and no shorter than revisions and scoring still read them', () => {
    expect(resolveConfig({}).store.resultRetention).toBe(30 * 86_400_000);
    expect(resolveConfig({ store: { resultRetention: 0 } }).store.resultRetention).toBe(0);
    // defaults: revisionHorizon 1h + the longest window (a session, at most 1h) + allowedLateness 30s + staleHorizon 1h
    expect(problemsOf({ store: { resultRetention: '2h' } })).toEqual([
      'store.resultRetention: 120 min would delete results still revised or scored from: at least 181 min (revisionHorizon + the longest window + allowedLateness + scoring.staleHorizon), or 0 to keep them',
    ]);
    const short = { windows: { defaults: { tumbling: '10s', sliding: null, sessionGap: null, allowedLateness: '2s', revisionHorizon: '2m' } }, scoring: { staleHorizon: '1m' } };
    expect(problemsOf({ ...short, store: { resultRetention: '3m' } })).toHaveLength(1);
    expect(problemsOf({ ...short, store: { resultRetention: '4m' } })).toEqual([]);
    expect(problemsOf({ store: { retentionInterval: '10ms' } })).toEqual(['store.retentionInterval: at least 100ms']);
  });

  it('rejects an unknown driver type by naming the field', () => {
    const problems = problemsOf({ drivers: [{ type: 'zigbee', name: 'z' }] });
    expect(problems.join('\n')).toMatch(/^drivers\.0(\.type)?: /m);
  });

  it('is frozen after validation', () => {
    const config = resolveConfig({});
    expect(Object.isFrozen(config.mqtt)).toBe(true);
    expect(() => {
      (config.mqtt as { port: number }).port = 1;
    }).toThrow();
  });

  it('the simulator declares its sensors in the registry, with the gateway city', () => {
    const config = resolveConfig(DEMO_CONFIG);
    expect(config.registry.size).toBe(9);
    expect([...config.registry.values()].every((s) => s.city === 'IST')).toBe(true);
  });

  it('places every registered sensor in its H3 cell and carries each cell\'s UCID point (no h3-js needed after)', () => {
    const config = resolveConfig({
      scoring: { h3Resolution: 8 },
      sensors: [
        { id: 'a', lat: 41.015, lon: 28.979, contexts: ['CLIMATE'] },
        { id: 'b', lat: 41.0151, lon: 28.9791, contexts: ['CLIMATE'] },
        { id: 'c', lat: 40.99, lon: 29.1, contexts: ['CLIMATE'] },
      ],
    });
    const cells = new Set<string>();
    for (const sensor of config.registry.values()) {
      expect(sensor.cell).toBe(latLngToCell(sensor.lat, sensor.lon, 8));
      cells.add(sensor.cell);
    }
    expect(cells.size).toBe(2);
    expect([...config.ucidPoints].sort((x, y) => x.h3Index.localeCompare(y.h3Index)))
      .toEqual([...cells].sort().map((cell) => ucidPointForCell(cell)));
  });

  it('examples/demo.yaml is the built-in demo', () => {
    const fromFile = resolveConfig(parse(readFileSync(path.join(root, 'examples/demo.yaml'), 'utf8')));
    const builtIn = resolveConfig(DEMO_CONFIG);
    expect({ ...fromFile, registry: [...fromFile.registry] }).toEqual({ ...builtIn, registry: [...builtIn.registry] });
  });

  it('examples/site.yaml is valid and has sensors for both contexts', () => {
    const config = resolveConfig(parse(readFileSync(path.join(root, 'examples/site.yaml'), 'utf8')), path.join(root, 'examples'));
    const metrics = new Set(config.sensors.flatMap((s) => s.contexts));
    expect(metrics).toEqual(new Set(['CLIMATE', 'TRANSIT']));
  });
});
