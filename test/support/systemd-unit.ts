import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './gateway-process.js';

/** How systemd/ucid-gateway.service starts node: its ExecStart flags and its `Environment=MALLOC_…` settings. */
export function unitLaunch(): { nodeArgs: string[]; env: Record<string, string> } {
  const lines = readFileSync(path.join(REPO_ROOT, 'systemd/ucid-gateway.service'), 'utf8').split('\n').map((line) => line.trim());
  const execStart = lines.find((line) => line.startsWith('ExecStart=')) ?? '';
  const env = Object.fromEntries(lines.flatMap((line) => {
    const m = /^Environment=(MALLOC_\w+)=(\S+)$/.exec(line);
    return m ? [[m[1]!, m[2]!]] : [];
  }));
  return { nodeArgs: execStart.split(' ').slice(1).filter((arg) => arg.startsWith('--')), env };
}
