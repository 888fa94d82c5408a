import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CLI, REPO_ROOT } from './support/gateway-process.js';

const run = promisify(execFile);

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return cliWithEnv({}, ...args);
}

async function cliWithEnv(env: Record<string, string>, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('ucid-gateway CLI', () => {
  it('runs as `npx ucid-gateway`, as the README has it (the built bin is executable)', async () => {
    const { stdout } = await run('npx', ['--no-install', 'ucid-gateway', 'check-config', path.join(REPO_ROOT, 'examples', 'site.yaml')], { cwd: REPO_ROOT });
    expect(stdout).toMatch(/site\.yaml: ok \(\d+ sensors, \d+ drivers\)/);
  });

  it('ends quietly when its reader closes the pipe (`scores | head -3`), with no stack trace', async () => {
    const child = spawn(process.execPath, [CLI, 'check-config', path.join(REPO_ROOT, 'examples', 'site.yaml')], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy(); // the reader is gone before the command writes a line
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk; });
    const [code] = (await once(child, 'exit')) as [number];
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });

  it('check-config accepts the shipped examples', async () => {
    for (const example of ['demo.yaml', 'site.yaml']) {
      const result = await cli('check-config', path.join(REPO_ROOT, 'examples', example));
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/: ok \(\d+ sensors, \d+ drivers\)/);
    }
  });

  it('refuses an interrupt budget that is not a whole number of bytes, and takes 0 for V8\'s own', async () => {
    const example = path.join(REPO_ROOT, 'examples', 'demo.yaml');
    const bad = await cliWithEnv({ UCID_V8_INTERRUPT_BUDGET: '16k' }, 'check-config', example);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('UCID_V8_INTERRUPT_BUDGET: expected a whole number of bytes (0 leaves V8\'s own), not "16k"');
    for (const value of ['0', '4096']) expect((await cliWithEnv({ UCID_V8_INTERRUPT_BUDGET: value }, 'check-config', example)).code).toBe(0);
  });

  it('check-config exits 1 listing every problem as path: message', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'ucid-cli-')), 'bad.yaml');
    writeFileSync(file, 'gateway:\n  city: istanbul\nmqtt:\n  port: -1\nwindows:\n  defaults:\n    tumbling: soon\nsurprise: 1\n');
    const result = await cli('check-config', file);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('invalid configuration:');
    expect(result.stderr).toMatch(/gateway\.city: expected a 3-letter UCID city code/);
    expect(result.stderr).toMatch(/mqtt\.port: /);
    expect(result.stderr).toMatch(/windows\.defaults\.tumbling: expected a duration/);
    expect(result.stderr).toMatch(/surprise: unknown key/);
  });

  it('check-config names a YAML syntax error and a missing file', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'ucid-cli-')), 'broken.yaml');
    writeFileSync(file, 'gateway: {id: [unclosed\n');
    const broken = await cli('check-config', file);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain(file);
    const missing = await cli('check-config', '/nonexistent/gateway.yaml');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/configuration file cannot be read: \/nonexistent\/gateway\.yaml/);
  });

  it('an unknown command prints usage and exits 2', async () => {
    const result = await cli('frobnicate');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^usage: ucid-gateway/);
  });
});
