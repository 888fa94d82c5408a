import { spawn, type ChildProcess } from 'node:child_process';

/**
 * sd_notify(3) without a native addon. Node cannot send unix datagrams, so one long-lived relay child
 * (Perl from Debian's Essential perl-base, else python3) turns each stdin line into one datagram to
 * $NOTIFY_SOCKET. Spawned once, it costs a pipe write per message: cheap enough for the watchdog.
 * systemd accepts messages from the relay because the unit sets NotifyAccess=all.
 */
const PERL_RELAY = String.raw`use Socket; my $p = shift; $p =~ s/^@/\0/; $| = 1;
socket(my $s, AF_UNIX, SOCK_DGRAM, 0) or die "socket: $!\n"; my $a = pack_sockaddr_un($p);
while (my $l = <STDIN>) { chomp $l; send($s, "$l\n", 0, $a) or warn "sd_notify send: $!\n"; }`;

const PYTHON_RELAY = `import socket, sys
p = sys.argv[1]; p = '\\0' + p[1:] if p.startswith('@') else p
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
for line in sys.stdin:
    try: s.sendto(line.rstrip('\\n').encode() + b'\\n', p)
    except OSError as e: print('sd_notify send:', e, file=sys.stderr)
`;

const RELAYS: ReadonlyArray<readonly [string, string[]]> = [
  ['perl', ['-e', PERL_RELAY]],
  ['python3', ['-c', PYTHON_RELAY]],
];

export interface NotifyLog {
  warn(obj: object, msg: string): void;
}

export class SdNotifier {
  private relay: ChildProcess | null = null;
  private relayIndex = 0;
  private failures = 0;
  private started = false;
  private queued = '';

  private constructor(readonly socketPath: string | null, private readonly log: NotifyLog) {}

  /** From the environment systemd sets; without $NOTIFY_SOCKET every call is a no-op. */
  static fromEnv(log: NotifyLog, env: NodeJS.ProcessEnv = process.env): SdNotifier {
    return new SdNotifier(env.NOTIFY_SOCKET || null, log);
  }

  get enabled(): boolean {
    return this.socketPath !== null;
  }

  ready(status?: string): void {
    this.send(['READY=1', ...(status ? [`STATUS=${status}`] : [])]);
  }

  watchdog(): void {
    this.send(['WATCHDOG=1']);
  }

  stopping(): void {
    this.send(['STOPPING=1']);
  }

  status(text: string): void {
    this.send([`STATUS=${text}`]);
  }

  /** Each assignment goes as its own line, hence its own datagram; newlines inside values are flattened. */
  send(assignments: string[]): void {
    if (!this.socketPath) return;
    const lines = assignments.map((a) => `${a.replace(/[\r\n]+/g, ' ')}\n`).join('');
    if (!this.relay) this.spawnRelay();
    if (!this.relay) return;
    if (this.started) this.relay.stdin!.write(lines);
    else this.queued += lines;
  }

  close(): Promise<void> {
    const relay = this.relay;
    this.relay = null;
    if (!relay || relay.exitCode !== null || !this.started) return Promise.resolve();
    return new Promise((resolve) => {
      relay.once('exit', () => resolve());
      relay.stdin!.end();
    });
  }

  private spawnRelay(): void {
    if (this.relayIndex >= RELAYS.length || this.failures > 5) return;
    const [command, args] = RELAYS[this.relayIndex]!;
    const child = spawn(command, [...args, this.socketPath!], { stdio: ['pipe', 'ignore', 'pipe'], env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
    this.relay = child;
    this.started = false;
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-500);
    });
    child.stdin!.on('error', () => undefined);
    child.once('spawn', () => {
      this.started = true;
      child.stdin!.write(this.queued);
      this.queued = '';
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (this.relay !== child) return;
      this.relay = null;
      if (err.code === 'ENOENT') this.relayIndex++;
      else this.failures++;
      this.log.warn({ relay: command, err: err.message }, 'sd_notify relay unavailable');
      if (!this.started && this.queued) this.send([]);
    });
    child.on('exit', (code, signal) => {
      if (this.relay === child) this.relay = null;
      if (code !== 0 || stderr) {
        this.failures++;
        this.log.warn({ relay: command, code, signal, stderr: stderr.trim() }, 'sd_notify relay exited');
      }
    });
    child.unref();
  }
}

/** The watchdog interval systemd asks for ($WATCHDOG_USEC, for this PID), or null when off. */
export function watchdogIntervalMs(env: NodeJS.ProcessEnv = process.env, pid = process.pid): number | null {
  const usec = Number(env.WATCHDOG_USEC);
  if (!Number.isFinite(usec) || usec <= 0) return null;
  if (env.WATCHDOG_PID && Number(env.WATCHDOG_PID) !== pid) return null;
  return Math.floor(usec / 1000);
}
