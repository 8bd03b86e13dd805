/** Runs reader-runner.ts in a child with a deadline; a child still running then is a hang, named by its last case. */
import { spawn } from 'node:child_process';
import { projectRoot } from '../helpers.js';

export interface ChildRun {
  results: { case: string; outcome: string }[];
  finished: boolean;
  hungAfter: string | null;
  stderr: string;
}

export function runReaderChild(args: string[], deadlineMs: number): Promise<ChildRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--stack-size=984', 'test/robustness/reader-runner.ts', ...args], {
      cwd: projectRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), deadlineMs);
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.on('close', () => {
      clearTimeout(timer);
      const lines = out
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l));
      const finished = lines.some((l) => l.done);
      const results = lines.filter((l) => !l.done);
      resolve({ results, finished, hungAfter: finished ? null : (results.at(-1)?.case ?? '(start)'), stderr });
    });
  });
}
