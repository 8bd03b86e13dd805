/**
 * Child process of the robustness tests: runs inputs through every reader and
 * the sniffer, and prints one JSON line per case ({case, outcome}) as it goes,
 * so a hang is seen by the parent (which kills it) and named by the last line.
 * Outcomes: "ok", "format-error" (our clean ProfileFormatError), or
 * "crash: <error>" (anything else).
 */
import { readFileSync } from 'node:fs';
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
        await format.readStream((async function* () { yield bytes; })());
        outcome = 'ok';
      } catch (err) {
        outcome = err instanceof ProfileFormatError ? 'format-error' : `crash: ${(err as Error)?.stack?.split('\n').slice(0, 4).join(' | ')}`;
      }
      report({ case: `${name} [${format.name}]`, outcome });
    }
  }
}

// As a script (see run-child.ts): `reader-runner.ts hostile SIZE`.
if (process.argv[1]?.endsWith('reader-runner.ts')) {
  const mode = process.argv[2];
  const report = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`);
  if (mode === 'hostile') {
    const { hostileInputs } = await import('./hostile-inputs.js');
    const size = Number(process.argv[3]);
    for (const [name, text] of hostileInputs(size)) await runAllReaders(`${name} x${size}`, new TextEncoder().encode(text), report);
  }
  report({ done: true });
}
