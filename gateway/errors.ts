/** Every error the gateway raises on purpose, in one place (fastify/kafkajs style). */
export const ERROR_CODES = {
  CONFIG_INVALID: { retriable: false, message: 'configuration is invalid' },
  CONFIG_UNREADABLE: { retriable: false, message: 'configuration file cannot be read' },
  PAYLOAD_INVALID: { retriable: false, message: 'payload is malformed' },
  READING_INVALID: { retriable: false, message: 'reading failed validation' },
  SENSOR_UNKNOWN: { retriable: false, message: 'sensor is not in the registry' },
  STORE_FULL: { retriable: true, message: 'storage is full' },
  STORE_BUSY: { retriable: true, message: 'storage is busy' },
  STORE_FAILED: { retriable: false, message: 'storage failed' },
  INGEST_OVERLOADED: { retriable: true, message: 'ingest queue is full' },
  GATEWAY_STOPPING: { retriable: true, message: 'gateway is stopping' },
  DRIVER_FAILED: { retriable: true, message: 'driver failed' },
  DRIVER_UNKNOWN: { retriable: false, message: 'driver type is not registered' },
  UPLINK_UNAVAILABLE: { retriable: true, message: 'uplink is unavailable' },
  UPLINK_REJECTED: { retriable: false, message: 'uplink rejected the request' },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;

  constructor(code: ErrorCode, detail?: string, options?: { cause?: unknown; retriable?: boolean }) {
    super(detail ? `${ERROR_CODES[code].message}: ${detail}` : ERROR_CODES[code].message, { cause: options?.cause });
    this.name = 'GatewayError';
    this.code = code;
    this.retriable = options?.retriable ?? ERROR_CODES[code].retriable;
  }
}

/** A config that fails validation: every problem as `path: message`. */
export class ConfigInvalidError extends GatewayError {
  readonly problems: string[];
  constructor(problems: string[]) {
    super('CONFIG_INVALID', `${problems.length} problem(s)\n  ${problems.join('\n  ')}`);
    this.problems = problems;
  }
}

export function isRetriable(err: unknown): boolean {
  return err instanceof GatewayError ? err.retriable : false;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
