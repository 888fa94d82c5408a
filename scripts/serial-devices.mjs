#!/usr/bin/env node
// Prints the serial device paths (/dev/…) a gateway config's drivers use, one per line: install.sh
// turns them into DeviceAllow= lines of the unit's serial.conf drop-in.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: serial-devices.mjs CONFIG\n');
  process.exit(2);
}
const config = parse(readFileSync(file, 'utf8')) ?? {};
const found = new Set();
const walk = (value) => {
  if (typeof value === 'string' && /^\/dev\/[\w./:+-]+$/.test(value)) found.add(value);
  else if (Array.isArray(value)) value.forEach(walk);
  else if (value && typeof value === 'object') Object.values(value).forEach(walk);
};
walk(config.drivers ?? []);
for (const device of [...found].sort()) process.stdout.write(`${device}\n`);
