import { checksum } from '../../drivers/serial/framing.js';

/** A valid SDS011 data frame (datasheet v1.3 layout) for PM2.5/PM10 in µg/m³. */
export function sds011Frame(pm25: number, pm10: number, id = 0xa1b2): Buffer {
  const frame = Buffer.from([0xaa, 0xc0, 0, 0, 0, 0, id >> 8, id & 0xff, 0, 0xab]);
  frame.writeUInt16LE(Math.round(pm25 * 10), 2);
  frame.writeUInt16LE(Math.round(pm10 * 10), 4);
  frame[8] = checksum(frame);
  return frame;
}
