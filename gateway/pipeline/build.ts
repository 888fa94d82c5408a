import type { Logger } from 'pino';
import { AlertStage } from '../alerts/alert-stage.js';
import type { GatewayBus } from '../bus.js';
import type { ResolvedConfig } from '../config/load.js';
import { allWindowSpecs, windowSpecResolver } from '../config/window-specs.js';
import type { GatewayMetrics } from '../metrics.js';
import { AlertStore } from '../store/alert-store.js';
import { StoreSpace } from '../store/space.js';
import type { Store } from '../store/store.js';
import { Pipeline } from './pipeline.js';
import { ScoreStage } from './score-stage.js';
import { SensorDirectory } from './sensor-directory.js';
import { ReadingValidator } from './validate.js';
import { seedUcidPoints } from '../ucid/cell-point.js';

/** Assembles the stages of DESIGN §1.2 from the config. */
export function buildPipeline(config: ResolvedConfig, store: Store, bus: GatewayBus, metrics: GatewayMetrics, log: Logger) {
  const directory = new SensorDirectory(config);
  seedUcidPoints(config.ucidPoints);
  const validator = new ReadingValidator(config.ingest.metrics, { maxFutureSkewMs: config.ingest.maxFutureSkew, maxAgeMs: config.ingest.maxAge });
  const scores = new ScoreStage(store, directory, {
    gatewayId: config.gateway.id, h3Resolution: config.scoring.h3Resolution,
    staleHorizonMs: config.scoring.staleHorizon, rules: config.scoring.contexts,
  });
  const alertStore = new AlertStore(store.db);
  const alerts = new AlertStage(store, alertStore, directory, config.alerts, { gatewayId: config.gateway.id, city: config.gateway.city, startedAt: Date.now() });
  const pipeline = new Pipeline(store, validator, directory, scores, alerts, bus, metrics, log, {
    gatewayId: config.gateway.id,
    unknownSensors: config.ingest.unknownSensors,
    groupCommitDelayMs: config.store.groupCommitDelay,
    minCommitIntervalMs: config.store.minCommitInterval,
    commitNowAtReadings: config.store.commitNowAtReadings,
    readingsPerCommit: config.store.readingsPerCommit,
    maxBatchReadings: config.store.maxBatchReadings,
    maxPendingReadings: config.ingest.maxPendingReadings,
    quarantineMaxRows: config.store.quarantineMaxRows,
    specFor: windowSpecResolver(config.windows),
    specs: allWindowSpecs(config.windows),
    space: new StoreSpace(store, { reserveBytes: config.store.reserve }),
  });
  return { pipeline, directory, alerts, alertStore };
}
