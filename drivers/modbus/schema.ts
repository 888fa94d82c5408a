import { z } from 'zod';
import { duration } from '../../gateway/config/duration.js';
import { metricName, sensorId } from '../../gateway/config/sensor.js';

export const REGISTER_TYPES = ['bool', 'int16', 'uint16', 'int32', 'uint32', 'float32', 'float64'] as const;
export const WORD_ORDERS = ['ABCD', 'CDAB', 'BADC', 'DCBA'] as const;
export const FUNCTIONS = ['coil', 'discrete', 'holding', 'input'] as const;

export type RegisterType = (typeof REGISTER_TYPES)[number];
export type WordOrder = (typeof WORD_ORDERS)[number];
export type ModbusFunction = (typeof FUNCTIONS)[number];

/** 16-bit registers a value of each type takes. */
export const REGISTER_WIDTH: Record<RegisterType, number> = {
  bool: 1, int16: 1, uint16: 1, int32: 2, uint32: 2, float32: 2, float64: 4,
};

export const isBitFunction = (fn: ModbusFunction) => fn === 'coil' || fn === 'discrete';

const registerSchema = z.strictObject({
  metric: metricName,
  unit: z.string().default(''),
  function: z.enum(FUNCTIONS).default('holding'),
  /** Zero-based protocol address (register 40001 is holding address 0). */
  address: z.number().int().min(0).max(65535),
  /** Defaults to `bool` for coils and discrete inputs, `uint16` for registers. */
  type: z.enum(REGISTER_TYPES).optional(),
  /** Byte order of a multi-register value: A is the most significant byte. ABCD is the Modbus standard. */
  wordOrder: z.enum(WORD_ORDERS).default('ABCD'),
  scale: z.number().finite().default(1),
  offset: z.number().finite().default(0),
  /** Overrides the device's sensorId for this value. */
  sensorId: sensorId.optional(),
}).transform((r, ctx) => {
  const type: RegisterType = r.type ?? (isBitFunction(r.function) ? 'bool' : 'uint16');
  if (isBitFunction(r.function) !== (type === 'bool')) {
    ctx.addIssue({ code: 'custom', path: ['type'], message: `${r.function} values are ${isBitFunction(r.function) ? 'bool only' : 'numeric (not bool)'}` });
  }
  if (r.address + REGISTER_WIDTH[type] > 65536) ctx.addIssue({ code: 'custom', path: ['address'], message: 'value runs past address 65535' });
  return { ...r, type };
});

const deviceSchema = z.strictObject({
  /** Modbus unit id (slave address); 1-247 on RTU, 0-255 on TCP. */
  unitId: z.number().int().min(0).max(255),
  sensorId,
  interval: duration.prefault('10s'),
  /** Unused registers a coalesced request may read across to join two neighbours (0: strictly contiguous). */
  maxGap: z.number().int().min(0).max(120).default(0),
  registers: z.array(registerSchema).min(1),
});

const tcpSchema = z.strictObject({
  transport: z.literal('tcp'),
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535).default(502),
});

const rtuSchema = z.strictObject({
  transport: z.literal('rtu'),
  path: z.string().min(1),
  baudRate: z.number().int().positive().default(9600),
  parity: z.enum(['none', 'even', 'odd']).default('none'),
  dataBits: z.union([z.literal(7), z.literal(8)]).default(8),
  stopBits: z.union([z.literal(1), z.literal(2)]).default(1),
});

/** One Modbus bus (a serial line or a TCP connection) and the devices polled on it. */
export const modbusSchema = z.strictObject({
  type: z.literal('modbus'),
  name: z.string().min(1).default('modbus'),
  connection: z.discriminatedUnion('transport', [tcpSchema, rtuSchema]),
  /** Per request: a unit that has not answered by then has timed out. */
  timeout: duration.prefault('1s'),
  /** Extra attempts for a failed request of a unit that is answering; a unit already down gets one probe. */
  retries: z.number().int().min(0).max(5).default(1),
  /** Polls of a unit that stopped answering back off up to this period. */
  maxBackoff: duration.prefault('1m'),
  /**
   * Silence kept on the line before each request. Default on RTU: t3.5, 3.5 character times, fixed at
   * 1.75 ms above 19200 baud (MODBUS over Serial Line v1.02 §2.5.1.1); 0 on TCP.
   */
  frameGap: duration.optional(),
  /** Delay between reconnect attempts of the bus grows up to this period. */
  reconnectMax: duration.prefault('30s'),
  devices: z.array(deviceSchema).min(1),
}).superRefine((config, ctx) => {
  const rtu = config.connection.transport === 'rtu';
  const seen = new Set<number>();
  config.devices.forEach((device, i) => {
    if (seen.has(device.unitId)) ctx.addIssue({ code: 'custom', path: ['devices', i, 'unitId'], message: `duplicate unit id ${device.unitId}` });
    seen.add(device.unitId);
    if (rtu && (device.unitId < 1 || device.unitId > 247)) {
      ctx.addIssue({ code: 'custom', path: ['devices', i, 'unitId'], message: 'RTU unit ids are 1-247' });
    }
  });
});

export type ModbusDriverConfig = z.output<typeof modbusSchema>;
export type ModbusDeviceConfig = ModbusDriverConfig['devices'][number];
export type ModbusRegisterConfig = ModbusDeviceConfig['registers'][number];
export type ModbusConnection = ModbusDriverConfig['connection'];

/** Bits on the wire per character: start, data, parity, stop. */
export function bitsPerChar(connection: Extract<ModbusConnection, { transport: 'rtu' }>): number {
  return 1 + connection.dataBits + (connection.parity === 'none' ? 0 : 1) + connection.stopBits;
}

/** The inter-frame silence t3.5 in ms (MODBUS over Serial Line v1.02 §2.5.1.1). */
export function t35Ms(connection: Extract<ModbusConnection, { transport: 'rtu' }>): number {
  return connection.baudRate > 19200 ? 1.75 : (3.5 * bitsPerChar(connection) * 1000) / connection.baudRate;
}
