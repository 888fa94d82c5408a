/** How a Modbus request failed; the kinds are the driver's error counters. */
export type ModbusErrorKind = 'timeout' | 'exception' | 'crc' | 'frame' | 'disconnected' | 'io';

export class ModbusRequestError extends Error {
  constructor(readonly kind: ModbusErrorKind, message: string, readonly exceptionCode?: number) {
    super(message);
    this.name = 'ModbusRequestError';
  }
}

interface LibraryError {
  message?: unknown;
  errno?: unknown;
  modbusCode?: unknown;
  code?: unknown;
}

/** Maps what modbus-serial 8 rejects with (plain objects with `errno`, or Errors with `modbusCode`) to a kind. */
export function classify(err: unknown): ModbusRequestError {
  if (err instanceof ModbusRequestError) return err;
  const e = (typeof err === 'object' && err !== null ? err : { message: String(err) }) as LibraryError;
  const message = typeof e.message === 'string' ? e.message : String(err);
  if (typeof e.modbusCode === 'number') return new ModbusRequestError('exception', message, e.modbusCode);
  if (e.errno === 'ETIMEDOUT') return new ModbusRequestError('timeout', message);
  if (message === 'CRC error') return new ModbusRequestError('crc', message);
  if (message.startsWith('Data length error') || message.startsWith('Unexpected data error')) return new ModbusRequestError('frame', message);
  if (message === 'Port Not Open' || e.code === 'ECONNRESET' || e.code === 'EPIPE') return new ModbusRequestError('disconnected', message);
  return new ModbusRequestError('io', message);
}

/** Exception codes after which the same request is worth repeating: 5 Acknowledge, 6 Server Device Busy. */
export const RETRYABLE_EXCEPTIONS = new Set([5, 6]);
