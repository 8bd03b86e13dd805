/**
 * A child process that runs CLI invocations for the tests: the test runner
 * reports through the test process's stdout, so capturing stdout there would
 * swallow its reports. Here nothing else writes to stdout.
 * Protocol (IPC): { id, args, env } in, { id, code, stdout, stderr } out.
 */
import { main } from '../../src/cli/main.js';

interface Request {
  id: number;
  args: string[];
  env: Record<string, string | null>;
}

let queue: Promise<void> = Promise.resolve();

process.on('message', (request: Request) => {
  queue = queue.then(() => run(request));
});

async function run({ id, args, env }: Request): Promise<void> {
  const out: string[] = [];
  const err: string[] = [];
  const originalOut = process.stdout.write;
  const originalErr = process.stderr.write;
  const saved: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(env)) {
    saved[k] = process.env[k];
    if (v === null) delete process.env[k];
    else process.env[k] = v;
  }
  const capture = (sink: string[]) =>
    ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      sink.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      callback?.();
      return true;
    }) as typeof process.stdout.write;
  process.stdout.write = capture(out);
  process.stderr.write = capture(err);
  let code: number;
  try {
    code = await main(args);
  } catch (e) {
    err.push(`main() threw: ${(e as Error).stack ?? e}`);
    code = -1;
  } finally {
    process.stdout.write = originalOut;
    process.stderr.write = originalErr;
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
  process.send!({ id, code, stdout: out.join(''), stderr: err.join('') });
}
