/** The UCID-V1 field a failure is about (DESIGN §3), plus the two whole-string checks. */
export type UcidField =
  | 'PREFIX' | 'FIELD_COUNT' | 'CITY' | 'LAT' | 'LON' | 'H3_RES' | 'H3_INDEX'
  | 'TIME' | 'CONTEXT' | 'GRADE' | 'CONF' | 'FLAGS' | 'SCORE';

/** A UCID string, or one of its fields, is not valid UCID-V1. `field` names the field, `code` the rule broken. */
export class UcidParseError extends Error {
  override readonly name: string = 'UcidParseError';

  constructor(readonly field: UcidField, readonly code: string, message: string) {
    super(`${field}: ${message}`);
  }
}

/** The encoder was given a value it cannot write as valid UCID-V1. A UcidParseError, so one catch covers both. */
export class UcidEncodeError extends UcidParseError {
  override readonly name: string = 'UcidEncodeError';
}
