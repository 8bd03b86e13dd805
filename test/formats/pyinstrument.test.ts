import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { testData } from '../helpers.js';
import { readPyinstrument } from '../../src/formats/pyinstrument.js';
import { readSpeedscope } from '../../src/formats/speedscope.js';
import { ProfileFormatError } from '../../src/formats/errors.js';
import { funcName, type Profile } from '../../src/model/profile.js';
import { assertExportRoundTrip, assertFormatError, assertSniffsAs, stackMultiset, utf8 } from './format-helpers.js';

const bytes = (name: string) => new Uint8Array(readFileSync(testData(`formats/pyinstrument/${name}`)));
const total = (p: Profile) => [...stackMultiset(p).values()].reduce((a, b) => a + b, 0);
/** Function name stacks (pyinstrument's speedscope output names frames without our "(file:line)"). */
function nameStacks(p: Profile): Map<string, number> {
  const names: string[] = [];
  const out = new Map<string, number>();
  for (let s = 0; s < p.stacks.length; s++) {
    const pre = p.stacks.prefix[s];
    const n = funcName(p, p.frames.func[p.stacks.frame[s]]).replace(/^\w+\./, ''); // Worker.run -> run
    names[s] = pre < 0 ? n : `${names[pre]};${n}`;
  }
  for (const t of p.threads)
    for (let i = 0; i < t.samples.length; i++) {
      const s = t.samples.stack[i];
      if (s >= 0) out.set(names[s], (out.get(names[s]) ?? 0) + t.samples.weight[i]);
    }
  return out;
}

test('pyinstrument: a real session (.pyisession): threads, classes, lines, times', () => {
  const data = bytes('work.pyisession');
  assertSniffsAs(data, 'pyinstrument', 'work.pyisession');
  const p = readPyinstrument(data);
  const records = JSON.parse(new TextDecoder().decode(data)).frame_records as [string[], number][];
  assert.equal(p.threads.length, 1);
  assert.equal(p.threads[0].name, 'MainThread', 'the <thread> pseudo-frame names the thread');
  assert.equal(p.threads[0].samples.length, records.length);
  assert.ok(Math.abs(total(p) - records.reduce((a, [, t]) => a + t * 1000, 0)) < 1e-6);
  const names = new Set(Array.from({ length: p.funcs.length }, (_, f) => funcName(p, f)));
  for (const n of ['main', 'fib', 'Worker.run', '<lambda>']) assert.ok(names.has(n), n);
  // Line attributes put frames on the line that ran: fib's recursion is on line 2.
  const fib = Array.from({ length: p.frames.length }, (_, r) => r).filter((r) => funcName(p, p.frames.func[r]) === 'fib');
  assert.ok(fib.some((r) => p.frames.line[r] === 2));
  assertExportRoundTrip(p, 'speedscope');
  assertExportRoundTrip(p, 'pprof', { tolerance: 1e-6 });
});

test("pyinstrument: the HTML page's session is the same profile as the session file", () => {
  const html = bytes('work.html');
  assertSniffsAs(html, 'pyinstrument', 'work.html');
  const fromHtml = readPyinstrument(html);
  const fromSession = readPyinstrument(bytes('work.pyisession'));
  // The page's tree holds the same times, printed with 6 decimals.
  assert.ok(Math.abs(total(fromHtml) - total(fromSession)) < 0.05, `${total(fromHtml)} vs ${total(fromSession)}`);
  // The page's tree merges records by function, so compare call paths by function name.
  const pageStacks = nameStacks(fromHtml);
  for (const [stack, w] of nameStacks(fromSession)) {
    assert.ok(Math.abs((pageStacks.get(stack) ?? 0) - w) < 0.01, `${stack}: ${pageStacks.get(stack)} vs ${w}`);
  }
});

test("pyinstrument: the JSON output agrees with pyinstrument's own speedscope output of the same session", () => {
  const json = bytes('work.json');
  assertSniffsAs(json, 'pyinstrument', 'work.json');
  // Both come from pyinstrument's processed tree (importlib and pyinstrument's own frames removed);
  // its speedscope renderer hides small nodes differently, so the total and the functions must agree.
  const ours = readPyinstrument(json);
  const theirs = readSpeedscope(bytes('work.pyinstrument-speedscope.json'));
  assert.ok(Math.abs(total(ours) - total(theirs)) < 0.01, `${total(ours)} vs ${total(theirs)}`);
  const names = (p: Profile) => new Set(Array.from({ length: p.funcs.length }, (_, f) => funcName(p, f).replace(/^\w+\./, '')));
  const ourNames = names(ours);
  for (const n of names(theirs)) if (n !== '[self]') assert.ok(ourNames.has(n), n);
});

test('pyinstrument: bad input is one error', () => {
  assertFormatError(
    () => readPyinstrument(utf8('{"frame_records": [[["a\\u0000b.py\\u00001"], 0.1]], "start_call_stack": [')),
    'pyinstrument',
    /unexpected end/,
  );
  assertFormatError(
    () => readPyinstrument(utf8('<html><body>pyinstrument</body></html>')),
    'pyinstrument',
    /without pyinstrument's session data/,
  );
  assertFormatError(
    () => readPyinstrument(utf8('<html>pyinstrument <script>const sessionData = {"session": [;\n</script>')),
    'pyinstrument',
    /invalid JSON in the page's session data/,
  );
  const shape = (value: unknown, pattern: RegExp) =>
    assert.throws(
      () => readPyinstrument(utf8(JSON.stringify(value))),
      (e) => e instanceof ProfileFormatError && pattern.test(e.message),
    );
  shape({ frame_records: [[['a\u0000b.py\u00001'], -1]], start_call_stack: [] }, /negative time/);
  shape({ frame_records: [[[3], 0.1]], start_call_stack: [] }, /frame_records\[0\]\[0\]\[0\]: expected a string/);
  shape({ root_frame: { function: 'f', time: 'x' }, sample_count: 1 }, /root_frame\.time: expected a number/);
});
