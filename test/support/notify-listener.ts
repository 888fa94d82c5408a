import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const LISTENER = `import json, socket, sys
p = sys.argv[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind('\\0' + p[1:] if p.startswith('@') else p)
print(json.dumps({'listening': p}), flush=True)
while True:
    data, _ = s.recvfrom(4096)
    print(json.dumps({'datagram': data.decode()}), flush=True)
`;

/** An independent sd_notify peer: a Python AF_UNIX/SOCK_DGRAM socket, as systemd's would be. */
export class NotifyListener {
  readonly datagrams: string[] = [];
  private waiters = new Set<() => void>();

  private constructor(readonly socketPath: string, private readonly child: ChildProcess) {}

  static async start(abstract = false): Promise<NotifyListener> {
    const socketPath = abstract ? `@ucid-test-${process.pid}-${Date.now()}` : path.join(mkdtempSync(path.join(tmpdir(), 'ucid-notify-')), 'notify.sock');
    const child = spawn('python3', ['-c', LISTENER, socketPath], { stdio: ['ignore', 'pipe', 'inherit'] });
    const listener = new NotifyListener(socketPath, child);
    let buffered = '';
    await new Promise<void>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`notify listener exited (${code})`)));
      child.stdout!.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const line = JSON.parse(buffered.slice(0, nl)) as { listening?: string; datagram?: string };
          buffered = buffered.slice(nl + 1);
          if (line.listening) resolve();
          if (line.datagram !== undefined) listener.datagrams.push(line.datagram);
        }
        listener.waiters.forEach((w) => w());
      });
    });
    return listener;
  }

  /** Every assignment received so far, e.g. `READY=1`, in order. */
  get assignments(): string[] {
    return this.datagrams.flatMap((d) => d.split('\n').filter(Boolean));
  }

  count(assignment: string): number {
    return this.assignments.filter((a) => a === assignment).length;
  }

  waitFor(assignment: string, times = 1, timeoutMs = 15_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.count(assignment) >= times) {
          done();
          resolve();
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no ${times}× ${assignment} within ${timeoutMs} ms; got ${JSON.stringify(this.assignments)}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  close(): void {
    this.child.kill('SIGTERM');
  }
}
