/** `pyrometer serve` as a real child process, for tests that kill it. */
import { spawn, type ChildProcess } from 'node:child_process';
import { projectRoot } from '../helpers.js';

export interface ServeProcess {
  url: string;
  child: ChildProcess;
  output: () => string;
}

/** Starts `pyrometer serve ARGS…` and resolves with its URL once it listens. */
export function startServe(args: string[]): Promise<ServeProcess> {
  const argv = JSON.stringify(['serve', ...args]);
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '-e', `import('./src/cli/main.ts').then(async (m) => { process.exitCode = await m.main(${argv}); })`],
    { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = /serving profiles at (http:\/\/\S+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        resolve({ url: m[1], child, output: () => output });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}: ${output}`));
    });
  });
}

export function killed(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}
