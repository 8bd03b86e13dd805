/**
 * bench:perf-header — the perf reader's sample-header parse (issue 14): the
 * linear now it uses now against the single regex it used before (kept
 * here only as the baseline), over every header line of the real 3 MB
 * `perf script` fixture, and the whole reader on that file for scale.
 * Alternating rounds; the ratio is the median of per-round ratios with a
 * 90% bootstrap interval.
 *   npm run bench:perf-header [-- --rounds 9]
 */
import { readFileSync } from 'node:fs';
import { parsePerfHeader, readPerfScript } from '../src/formats/perf/index.js';
import { fixture } from '../test/helpers.js';
import { oldParsePerfHeader as oldParse } from '../test/formats/perf-header-oracle.js';
import { median, medianInterval } from './stats.js';

const roundsArg = process.argv.indexOf('--rounds');
const rounds = roundsArg > 0 ? Number(process.argv[roundsArg + 1]) : 9;

const file = readFileSync(fixture('perf/perf-python3-primes.txt'));
const headers = file
  .toString('utf8')
  .split('\n')
  .filter((l) => l !== '' && !/^[\s#]/.test(l));
const REPEAT = 20;
function time(parse: (line: string) => unknown): number {
  const start = process.hrtime.bigint();
  let found = 0;
  for (let r = 0; r < REPEAT; r++) for (const line of headers) if (parse(line)) found++;
  if (found !== REPEAT * headers.length) throw new Error(`parsed ${found} of ${REPEAT * headers.length} headers`);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

time(parsePerfHeader);
time(oldParse); // warm-up
const ratios: number[] = [];
const now: number[] = [];
const before: number[] = [];
const whole: number[] = [];
for (let i = 0; i < rounds; i++) {
  const a = time(parsePerfHeader);
  const b = time(oldParse);
  const start = process.hrtime.bigint();
  for (let r = 0; r < REPEAT; r++) readPerfScript(file);
  whole.push(Number(process.hrtime.bigint() - start) / 1e6);
  now.push(a);
  before.push(b);
  ratios.push(a / b);
}
const [lo, hi] = medianInterval(ratios);
console.log(`${headers.length} header lines x ${REPEAT}, ${rounds} alternating rounds`);
console.log(`now: median ${median(now).toFixed(1)} ms; before: median ${median(before).toFixed(1)} ms`);
console.log(`ratio (now / before): ${median(ratios).toFixed(2)} (90% interval ${lo.toFixed(2)}-${hi.toFixed(2)})`);
const share = (median(now) - median(before)) / median(whole);
console.log(
  `the whole reader on the file: median ${median(whole).toFixed(1)} ms; the slower header parse adds ${(100 * share).toFixed(1)}% of it`,
);
