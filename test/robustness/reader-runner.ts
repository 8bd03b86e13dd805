/**
 * Child process of the robustness tests: runs inputs through every reader and
 * the sniffer, and prints one JSON line per case ({case, outcome}) as it goes,
 * so a hang is seen by the parent (which kills it) and named by the last line.
 * Outcomes: "ok", "format-error" (our clean ProfileFormatError), or
 * "crash: <error>" (anything else).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { ProfileFormatError, UnknownFormatError } from '../../src/formats/errors.js';
import { allFormats, sniffFormat } from '../../src/formats/all.js';

export type Outcome = 'ok' | 'format-error' | `crash: ${string}`;

function outcomeOf(run: () => unknown): Outcome {
  try {
    run();
    return 'ok';
  } catch (err) {
    if (err instanceof ProfileFormatError || err instanceof UnknownFormatError) return 'format-error';
    return `crash: ${(err as Error)?.stack?.split('\n').slice(0, 4).join(' | ') ?? String(err)}`;
  }
}

export async function runAllReaders(name: string, bytes: Uint8Array, report: (line: object) => void): Promise<void> {
  report({ case: `${name} [sniff]`, outcome: outcomeOf(() => sniffFormat(bytes.subarray(0, 64 * 1024), name)) });
  for (const format of allFormats()) {
    if (format.read) {
      report({ case: `${name} [${format.name}]`, outcome: outcomeOf(() => format.read!(bytes)) });
    } else if (format.readStream) {
      let outcome: Outcome;
      try {
        await format.readStream(
          (async function* () {
            yield bytes;
          })(),
        );
        outcome = 'ok';
      } catch (err) {
        outcome =
          err instanceof ProfileFormatError ? 'format-error' : `crash: ${(err as Error)?.stack?.split('\n').slice(0, 4).join(' | ')}`;
      }
      report({ case: `${name} [${format.name}]`, outcome });
    }
  }
}

/**
 * Mutants of every fixture through every reader, and some through `pyrometer show --json`
 * (in-process: exit 0, or 1 with one `pyrometer: ...` line; an internal error is a crash).
 */
async function fuzz(seed: number, perFile: number, report: (line: object) => void): Promise<void> {
  const { fuzzCorpus, mutate } = await import('./mutate.js');
  const { prng } = await import('../helpers.js');
  const { main } = await import('../../src/cli/main.js');
  const dir = mkdtempSync(join(tmpdir(), 'pyrometer-fuzz-'));
  const random = prng(seed);
  try {
    for (const { name, bytes } of fuzzCorpus()) {
      for (let m = 0; m < perFile; m++) {
        const mutant = mutate(bytes, random);
        const label = `${name} mutant ${m}`;
        await runAllReaders(label, mutant, report);
        if (m % 4 !== 0) continue;
        const path = join(dir, `m${m}-${basename(name)}`);
        writeFileSync(path, mutant);
        report({ case: `${label} [show --json]`, outcome: await showOutcome(main, path) });
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function showOutcome(main: (args: string[]) => Promise<number>, path: string): Promise<Outcome> {
  let stderr = '';
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  process.stdout.write = (() => true) as typeof process.stdout.write;
  process.stderr.write = ((s: string | Uint8Array) => {
    stderr += String(s);
    return true;
  }) as typeof process.stderr.write;
  let code: number;
  try {
    code = await main(['show', '--json', path]);
  } catch (e) {
    return `crash: show threw ${(e as Error).message}`;
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
  if (code === 0) return 'ok';
  const lines = stderr.split('\n').filter(Boolean);
  if (code === 1 && lines.length === 1 && lines[0].startsWith('pyrometer: ') && !lines[0].includes('internal error')) return 'format-error';
  return `crash: show exited ${code}: ${stderr.slice(0, 300)}`;
}

// As a script (see run-child.ts): `reader-runner.ts hostile SIZE` or `reader-runner.ts fuzz SEED MUTANTS_PER_FILE`.
if (process.argv[1]?.endsWith('reader-runner.ts')) {
  const mode = process.argv[2];
  const report = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`);
  if (mode === 'hostile') {
    const { hostileInputs } = await import('./hostile-inputs.js');
    const size = Number(process.argv[3]);
    for (const [name, text] of hostileInputs(size)) await runAllReaders(`${name} x${size}`, new TextEncoder().encode(text), report);
  } else if (mode === 'fuzz') {
    await fuzz(Number(process.argv[3]), Number(process.argv[4]), report);
  }
  report({ done: true });
}
