import { SerialPort } from 'serialport';
import type { Reading } from '../../gateway/reading.js';
import type { Driver, DriverFactory } from '../driver.js';
import { decodeSds011, LineFramer, Sds011Framer, type Framer } from './framing.js';
import { parseLine } from './parse.js';
import type { SerialDriverConfig } from './schema.js';

/** Readings waiting for a commit beyond this are shed (oldest first) and counted: memory stays bounded. */
const MAX_PENDING_READINGS = 10_000;
const SDS011_UNIT = 'µg/m³';

/** A line- or frame-oriented sensor on a serial port; reopens with backoff when the port goes away. */
export const createDriver: DriverFactory<SerialDriverConfig> = (config, context): Driver => {
  const format = config.format;
  const framer: Framer = format.kind === 'sds011' ? new Sds011Framer() : new LineFramer(format.delimiter, format.maxLineLength);
  let port: SerialPort | null = null;
  let reopenTimer: NodeJS.Timeout | null = null;
  let failures = 0;
  let stopped = false;
  let pending: Reading[] = [];
  let flushing: Promise<void> | null = null;

  function quarantine(reason: string, payload: Buffer | string): void {
    context.reject({ source: config.name, reason, origin: config.path, payload: typeof payload === 'string' ? payload.slice(0, 1024) : payload.subarray(0, 1024) })
      .catch((err: unknown) => context.log.warn({ err }, 'quarantine failed'));
  }

  async function flush(): Promise<void> {
    while (pending.length) {
      const batch = pending;
      pending = [];
      try {
        await context.submit(batch);
        context.markReading(Date.now());
      } catch (err) {
        context.countError('submit');
        context.log.warn({ err, readings: batch.length }, 'serial readings not committed');
      }
    }
    flushing = null;
  }

  function emit(readings: Reading[]): void {
    pending.push(...readings);
    if (pending.length > MAX_PENDING_READINGS) {
      const shed = pending.length - MAX_PENDING_READINGS;
      pending.splice(0, shed);
      for (let i = 0; i < shed; i++) context.countError('shed');
    }
    flushing ??= flush();
  }

  function onFrame(bytes: Buffer, receivedAt: number): void {
    const base = { source: config.name, receivedAt, quality: 'good' as const };
    if (format.kind === 'sds011') {
      const sample = decodeSds011(bytes);
      emit([
        { ...base, sensorId: config.sensorId, metric: 'pm25', value: sample.pm25, unit: SDS011_UNIT, ts: receivedAt, tsFromArrival: true },
        { ...base, sensorId: config.sensorId, metric: 'pm10', value: sample.pm10, unit: SDS011_UNIT, ts: receivedAt, tsFromArrival: true },
      ]);
      return;
    }
    const line = bytes.toString('utf8');
    const parsed = parseLine(format, line);
    if (!parsed.ok) {
      context.countError('parse');
      quarantine(parsed.reason, line);
      return;
    }
    emit(parsed.values.map(({ mapping, value }) => ({
      ...base,
      sensorId: parsed.sensorId ?? config.sensorId,
      metric: mapping.metric,
      value,
      unit: mapping.unit,
      ts: parsed.ts ?? receivedAt,
      tsFromArrival: parsed.ts === undefined,
    })));
  }

  function onData(chunk: Buffer): void {
    const receivedAt = Date.now();
    for (const event of framer.push(chunk)) {
      if (event.kind === 'frame') {
        onFrame(event.bytes, receivedAt);
        continue;
      }
      context.countError(event.reason);
      if (event.reason === 'checksum') quarantine('SDS011 frame with a bad checksum or tail', event.bytes);
    }
  }

  function scheduleOpen(delay: number): void {
    if (stopped || reopenTimer) return;
    reopenTimer = setTimeout(() => {
      reopenTimer = null;
      void open();
    }, delay);
  }

  async function open(): Promise<void> {
    const candidate = new SerialPort({
      path: config.path, baudRate: config.baudRate, dataBits: config.dataBits, stopBits: config.stopBits, parity: config.parity, autoOpen: false,
    });
    candidate.on('data', onData);
    candidate.on('error', (err: Error) => context.log.warn({ path: config.path, err: err.message }, 'serial port error'));
    candidate.on('close', (err?: Error | null) => {
      if (port !== candidate) return;
      port = null;
      framer.reset();
      context.countError('disconnect');
      context.setHealth('down', `${config.path} closed: ${err?.message ?? 'closed'}; reopening`);
      scheduleOpen(config.reopenMin);
    });
    try {
      await new Promise<void>((resolve, reject) => candidate.open((err) => (err ? reject(err) : resolve())));
    } catch (err) {
      failures++;
      const delay = Math.min(config.reopenMax, config.reopenMin * 2 ** (failures - 1));
      context.countError('open');
      context.setHealth('down', `${config.path}: ${(err as Error).message}; retry in ${delay} ms`);
      scheduleOpen(delay);
      return;
    }
    if (stopped) {
      candidate.close();
      return;
    }
    port = candidate;
    failures = 0;
    framer.reset();
    context.setHealth('up', `${config.path} open at ${config.baudRate} baud (${format.kind})`);
  }

  return {
    async start() {
      context.setHealth('connecting', `${config.path}: opening`);
      await open();
    },
    async stop() {
      stopped = true;
      if (reopenTimer) clearTimeout(reopenTimer);
      const current = port;
      port = null;
      if (current?.isOpen) await new Promise<void>((resolve) => current.close(() => resolve()));
      await flushing;
      context.setHealth('stopped');
    },
  };
};
