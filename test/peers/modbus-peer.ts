import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface, type Interface } from 'node:readline';

export const PYTHON = path.resolve('.venv/bin/python');
const SCRIPT = path.resolve('test/peers/modbus_server.py');

export interface PeerValue {
  unit: number;
  table: 'holding' | 'input' | 'coil' | 'discrete';
  address: number;
  type: string;
  order?: string;
  value: number;
}

export interface PeerOptions {
  /** TCP port (0: any free one), or a serial device. */
  tcp?: number;
  serial?: string;
  units: number[];
  values: PeerValue[];
  valuesFile: string;
  corruptCrc?: number[];
}

/** test/peers/modbus_server.py (pymodbus) as a child process: start, stop, count requests per unit and function. */
export class ModbusPeer {
  private child: ChildProcess | null = null;
  private lines: Interface | null = null;
  private readonly waiting: ((line: string) => void)[] = [];
  port = 0;

  constructor(private readonly options: PeerOptions) {}

  async start(): Promise<void> {
    writeFileSync(this.options.valuesFile, JSON.stringify(this.options.values));
    const args = [SCRIPT, '--units', this.options.units.join(','), '--values', this.options.valuesFile];
    if (this.options.serial) args.push('--serial', this.options.serial);
    else args.push('--tcp', String(this.port || this.options.tcp || 0));
    if (this.options.corruptCrc?.length) args.push('--corrupt-crc', this.options.corruptCrc.join(','));
    const child = spawn(PYTHON, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => { stderr = (stderr + chunk.toString()).slice(-4000); });
    this.lines = createInterface({ input: child.stdout! });
    this.lines.on('line', (line) => this.waiting.shift()?.(line));
    const ready = await Promise.race([
      this.nextLine(),
      once(child, 'exit').then(() => { throw new Error(`modbus peer exited: ${stderr}`); }),
    ]);
    const match = /^ready (\d+)$/.exec(ready);
    if (!match) throw new Error(`modbus peer said ${ready}: ${stderr}`);
    if (!this.options.serial) this.port = Number(match[1]);
  }

  /** Requests the peer has received, keyed `unit:functionCode` (1 coils, 2 discrete, 3 holding, 4 input). */
  async stats(): Promise<Record<string, number>> {
    const line = this.nextLine();
    this.child!.stdin!.write('stats\n');
    return (JSON.parse(await line) as { requests: Record<string, number> }).requests;
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = null;
    this.lines?.close();
    if (!child || child.exitCode !== null) return;
    child.kill('SIGKILL');
    await once(child, 'exit');
  }

  private nextLine(): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('modbus peer did not answer')), 10_000);
      this.waiting.push((line) => {
        clearTimeout(timer);
        resolve(line);
      });
    });
  }
}
