import { execFile, execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './support/gateway-process.js';

const run = promisify(execFile);
const UNIT = path.join(REPO_ROOT, 'systemd/ucid-gateway.service');
const hasAnalyze = (() => {
  try {
    execFileSync('systemd-analyze', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** A release tree like `npm ci --omit=dev && npm run build` leaves; node_modules linked to save the copy. */
function slimRelease(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'ucid-release-'));
  for (const item of ['dist', 'systemd', 'examples', 'scripts', 'package.json']) cpSync(path.join(REPO_ROOT, item), path.join(dir, item), { recursive: true });
  symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  return dir;
}

function tree(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      const rel = path.relative(root, full);
      if (rel.endsWith('node_modules') || name === '.pwd.lock') {
        out.push(rel);
        continue;
      }
      const st = statSync(full);
      if (st.isDirectory()) walk(full);
      else out.push(`${rel} ${(st.mode & 0o777).toString(8)} ${readFileSync(full).length}`);
    }
  };
  walk(root);
  return out;
}

const install = (args: string[]) => run('bash', [path.join(REPO_ROOT, 'scripts/install.sh'), ...args]);

describe.skipIf(!hasAnalyze)('systemd unit', () => {
  it('passes systemd-analyze verify', async () => {
    const { stderr } = await run('systemd-analyze', ['verify', UNIT]);
    expect(stderr).toBe('');
  });

  it('has an offline exposure score of at most 2.0 (--threshold=20)', async () => {
    const { stdout } = await run('systemd-analyze', ['security', '--offline=yes', '--threshold=20', UNIT]);
    const score = Number(/Overall exposure level for .*: (\d+\.\d+)/.exec(stdout)?.[1]);
    expect(score).toBeLessThanOrEqual(2.0);
    expect(stdout).not.toMatch(/✓ MemoryDenyWriteExecute=/);
  });

  it('is Type=notify with a watchdog, restart on failure, state and config directories, dialout', () => {
    const unit = readFileSync(UNIT, 'utf8');
    for (const line of ['Type=notify', 'NotifyAccess=all', 'Restart=on-failure', 'StateDirectory=ucid-gateway', 'ConfigurationDirectory=ucid-gateway',
      'User=ucid-gateway', 'SupplementaryGroups=dialout', 'DevicePolicy=closed', 'ExecReload=/bin/kill -HUP $MAINPID']) {
      expect(unit.split('\n')).toContain(line);
    }
    expect(unit).toMatch(/^WatchdogSec=\d+s$/m);
  });
});

describe('scripts/install.sh into a temporary root', () => {
  it('installs the expected tree, idempotently; uninstall keeps config and data unless --purge', async () => {
    const source = slimRelease();
    const root = mkdtempSync(path.join(tmpdir(), 'ucid-root-'));
    const args = ['--root', root, '--prefix', '/opt/ucid-gateway', '--source', source];
    await install(args);

    const at = (p: string) => path.join(root, p);
    expect(existsSync(at('opt/ucid-gateway/dist/gateway/cli.js'))).toBe(true);
    expect(existsSync(at('opt/ucid-gateway/node_modules'))).toBe(true);
    expect(readFileSync(at('etc/sysusers.d/ucid-gateway.conf'), 'utf8')).toMatch(/^u ucid-gateway /m);
    expect(readFileSync(at('etc/passwd'), 'utf8')).toMatch(/^ucid-gateway:x:\d+:\d+:UCID Edge Gateway:\/var\/lib\/ucid-gateway:\/usr\/sbin\/nologin$/m);
    const unit = readFileSync(at('etc/systemd/system/ucid-gateway.service'), 'utf8');
    expect(unit).toMatch(/^ExecStart=\S*node (--\S+ )*\/opt\/ucid-gateway\/dist\/gateway\/cli.js start$/m);
    const config = at('etc/ucid-gateway/gateway.yaml');
    expect(statSync(config).mode & 0o777).toBe(0o640);
    expect(statSync(at('etc/ucid-gateway/mqtt-passwd')).mode & 0o777).toBe(0o640);
    const { stdout } = await run(process.execPath, [at('opt/ucid-gateway/dist/gateway/cli.js'), 'check-config', config]);
    expect(stdout).toMatch(/: ok/);
    if (hasAnalyze) await run('systemd-analyze', ['verify', at('etc/systemd/system/ucid-gateway.service')]);

    const first = tree(root);
    await install(args);
    expect(tree(root)).toEqual(first);

    // the operator's config is never overwritten; its serial ports become DeviceAllow= lines
    writeFileSync(config, `${readFileSync(config, 'utf8').replace('drivers: []', '')}drivers:\n  - type: serial\n    name: pm\n    path: /dev/ttyUSB0\n`);
    await install(args);
    expect(readFileSync(config, 'utf8')).toMatch(/path: \/dev\/ttyUSB0/);
    expect(readFileSync(at('etc/systemd/system/ucid-gateway.service.d/serial.conf'), 'utf8')).toMatch(/^DeviceAllow=\/dev\/ttyUSB0 rw$/m);

    mkdirSync(at('var/lib/ucid-gateway'), { recursive: true });
    writeFileSync(at('var/lib/ucid-gateway/gateway.db'), 'data');
    await install(['uninstall', ...args]);
    expect(existsSync(at('opt/ucid-gateway'))).toBe(false);
    expect(existsSync(at('etc/systemd/system/ucid-gateway.service'))).toBe(false);
    expect(existsSync(at('etc/systemd/system/ucid-gateway.service.d'))).toBe(false);
    expect(readFileSync(config, 'utf8')).toMatch(/ttyUSB0/);
    expect(readFileSync(at('var/lib/ucid-gateway/gateway.db'), 'utf8')).toBe('data');
    expect(readFileSync(at('etc/passwd'), 'utf8')).toMatch(/^ucid-gateway:/m);

    await install(['uninstall', '--purge', ...args]);
    expect(existsSync(at('etc/ucid-gateway'))).toBe(false);
    expect(existsSync(at('var/lib/ucid-gateway'))).toBe(false);
    expect(readFileSync(at('etc/passwd'), 'utf8')).not.toMatch(/^ucid-gateway:/m);
  });

  it('refuses a Node.js older than 20', async () => {
    const bin = mkdtempSync(path.join(tmpdir(), 'ucid-oldnode-'));
    writeFileSync(path.join(bin, 'node'), '#!/bin/sh\nif [ "$1" = "-p" ]; then echo 18; else echo v18.20.0; fi\n', { mode: 0o755 });
    const root = mkdtempSync(path.join(tmpdir(), 'ucid-root-'));
    const failed = await run('bash', [path.join(REPO_ROOT, 'scripts/install.sh'), '--root', root], { env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } })
      .then(() => null, (err: { stderr: string; code: number }) => err);
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toMatch(/too old: 20 or newer is needed/);
    expect(existsSync(path.join(root, 'opt'))).toBe(false);
  });
});
