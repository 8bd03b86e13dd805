import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { readV8Log } from '../../src/formats/v8log.js';
import { machineSymbols } from '../../src/formats/machine-symbols.js';
import { funcFile, funcName, type Profile } from '../../src/model/profile.js';
import { assertModelInvariants } from './format-helpers.js';

// Native work: hashing, JSON and typed-array sorting run in node's and V8's C++. A fixed amount, not a time.
const NATIVE_WORKLOAD = `const crypto = require('node:crypto');
let s = 0;
for (let k = 0; k < 3000; k++) {
  s += crypto.createHash('sha256').update('x'.repeat(2000)).digest()[0];
  s += JSON.stringify(JSON.parse(JSON.stringify({ a: [k, 2, 3], b: 'y'.repeat(200) }))).length;
  if (k % 50 === 0) s += new Float64Array(20000).map(Math.random).sort()[0];
}
console.log(s > 0);
`;

/**
 * One function, demangled by two demanglers: binutils (nm -C, what --prof-process shows) prints a
 * template function's return type and writes template literals as `16ul` where
 * gecko-profiler-demangle leaves the return type out and writes `(unsigned long)16`. Template
 * arguments are left out of the comparison, and a leading return type.
 */
function sameFunction(ours: string, theirs: string): boolean {
  const strip = (name: string) => {
    let out = '';
    let depth = 0;
    for (const c of name) {
      if (c === '>' && depth > 0) depth--;
      if (depth === 0) out += c;
      if (c === '<' && !out.endsWith('operator<')) depth++;
    }
    return out;
  };
  const a = strip(ours);
  const b = strip(theirs);
  return a === b || (b.endsWith(` ${a}`) && !b.slice(0, -a.length - 1).includes('('));
}

interface Tick {
  pc: number;
  external: boolean;
}

/** The log's ticks in order (pc and external-callback flag) and its libraries. */
function logTicks(text: string): { ticks: Tick[]; libraries: { path: string; start: number; end: number }[] } {
  const ticks: Tick[] = [];
  const libraries: { path: string; start: number; end: number }[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(',');
    if (f[0] === 'tick') ticks.push({ pc: Number.parseInt(f[1], 16), external: f[3] === '1' });
    if (f[0] === 'shared-library') libraries.push({ path: f[1], start: Number.parseInt(f[2], 16), end: Number.parseInt(f[3], 16) });
  }
  return { ticks, libraries };
}

/** Per sample: its leaf frame's name and library file, or null when the leaf is not a library's (JS, V8 code, nothing). */
function leaves(p: Profile, libraryPaths: Set<string>): ({ name: string; file: string } | null)[] {
  const samples = p.threads[0].samples;
  const out: ({ name: string; file: string } | null)[] = [];
  for (let i = 0; i < samples.length; i++) {
    let s = samples.stack[i];
    while (s >= 0 && ['(garbage collector)', '(idle)'].includes(funcName(p, p.frames.func[p.stacks.frame[s]]))) s = p.stacks.prefix[s];
    const func = s >= 0 ? p.frames.func[p.stacks.frame[s]] : -1;
    const file = func >= 0 ? funcFile(p, func) : '';
    out.push(libraryPaths.has(file) ? { name: funcName(p, func) === basename(file) ? `[${file}]` : funcName(p, func), file } : null);
  }
  return out;
}

/** A non-PIE executable (ELF type EXEC): its symbols' values are their run-time addresses. */
function isFixedExecutable(path: string): boolean {
  const head = Buffer.alloc(18);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, head, 0, 18, 0);
  } finally {
    closeSync(fd);
  }
  return head.readUInt16LE(16) === 2;
}

/** nm's function symbols (mangled) of a fixed executable, in address order, as [start, end, name]. */
function nmFunctions(path: string): [number, number, string][] {
  const out: [number, number, string][] = [];
  for (const line of execFileSync('nm', ['-n', '-S', path], { maxBuffer: 1 << 30 }).toString().split('\n')) {
    const m = /^([0-9a-f]{8,16}) ([0-9a-f]{8,16} )?[tTwW] (.*)$/.exec(line);
    if (m) out.push([Number.parseInt(m[1], 16), m[2] ? Number.parseInt(m[2], 16) : 0, m[3]]);
  }
  // A symbol without a size ends where the next one starts.
  let next = out.length;
  for (let i = out.length - 1; i >= 0; i--) {
    const [start, size] = out[i];
    while (next > 0 && out[next - 1][0] > start) next--;
    out[i][1] = size > 0 ? start + size : next < out.length ? out[next][0] : start;
  }
  return out;
}

test('v8log: native frames of a real node --prof log are named by function: as node --prof-process names them in shared libraries, as nm does in node itself', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pyrometer-v8native-'));
  try {
    writeFileSync(join(dir, 'native.js'), NATIVE_WORKLOAD);
    execFileSync(process.execPath, ['--prof', 'native.js'], { cwd: dir, stdio: 'ignore' });
    const log = readdirSync(dir).find((f) => /^isolate-.*\.log$/.test(f));
    assert.ok(log, 'node --prof wrote an isolate log');
    const bytes = new Uint8Array(readFileSync(join(dir, log)));
    const p = readV8Log(bytes, { nativeSymbols: machineSymbols });
    assertModelInvariants(p);
    // The same with names as the symbol tables store them, for the exact comparison with nm.
    const mangled = leaves(readV8Log(bytes, { nativeSymbols: { read: machineSymbols.read, displayName: (n) => n } }), new Set(logTicks(new TextDecoder().decode(bytes)).libraries.map((l) => l.path)));
    assert.deepEqual(p.meta.warnings, [], 'every library of the log is on this machine and matches');
    const pre = JSON.parse(
      execFileSync(process.execPath, ['--prof-process', '--preprocess', log], { cwd: dir, maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'ignore'] }).toString(),
    ) as { code: { name: string; type: string }[]; ticks: { s: number[] }[] };
    const { ticks, libraries } = logTicks(new TextDecoder().decode(bytes));
    const libraryPaths = new Set(libraries.map((l) => l.path));
    const ours = leaves(p, libraryPaths);
    assert.equal(ours.length, ticks.length, 'one sample per tick');
    assert.equal(pre.ticks.length, ticks.length);

    const fixed = new Map<string, [number, number, string][]>();
    let byTickProcessor = 0;
    let byNm = 0;
    const differ: string[] = [];
    for (let i = 0; i < ticks.length; i++) {
      const leaf = ours[i];
      if (!leaf || ticks[i].external) continue;
      if (isFixedExecutable(leaf.file)) {
        // The tick processor misplaces a non-PIE executable's symbols (native-symbols.ts): nm's addresses are the truth.
        if (!fixed.has(leaf.file)) fixed.set(leaf.file, nmFunctions(leaf.file));
        const pc = ticks[i].pc;
        const holding = fixed.get(leaf.file)!.filter(([start, end]) => start <= pc && pc < end);
        const innermost = Math.max(...holding.map(([start]) => start));
        const expected = holding.filter(([start]) => start === innermost).map(([, , name]) => name);
        if (expected.length === 0) expected.push(`[${leaf.file}]`);
        if (!expected.includes(mangled[i]!.name)) differ.push(`0x${pc.toString(16)}: ours ${mangled[i]!.name}, nm ${expected.join(' | ')}`);
        byNm++;
      } else {
        const entry = pre.code[pre.ticks[i].s[0]];
        const theirs = !entry ? '(none)' : entry.type === 'CPP' ? entry.name.replace(/@@?[A-Z][A-Za-z0-9_.]*$/, '') : `[${entry.name}]`;
        if (!sameFunction(leaf.name, theirs)) differ.push(`0x${ticks[i].pc.toString(16)}: ours ${leaf.name}, --prof-process ${theirs}`);
        byTickProcessor++;
      }
    }
    assert.deepEqual(differ.slice(0, 5), [], `${differ.length} of ${byNm + byTickProcessor} native leaves named differently`);
    assert.ok(byNm >= 10, `ticks in node's own code: ${byNm}`);
    assert.ok(byTickProcessor >= 5, `ticks in shared libraries: ${byTickProcessor}`);
    const named = ours.filter((l) => l && !l.name.startsWith('[')).length;
    assert.ok(named >= 20, `native leaves named by function: ${named}`);
    assert.ok(libraries.some((l) => l.path === process.execPath || l.path.endsWith('/node')), 'the log lists node itself');

    // Names are demangled (Itanium C++), plain C names kept.
    const some = ours.find((l, i) => l && mangled[i]!.name === '_ZN2v88internal11HandleScope6ExtendEPNS0_7IsolateE');
    if (some) assert.equal(some.name, 'v8::internal::HandleScope::Extend(v8::internal::Isolate*)');
    assert.equal(machineSymbols.displayName('_ZN2v88internal11HandleScope6ExtendEPNS0_7IsolateE'), 'v8::internal::HandleScope::Extend(v8::internal::Isolate*)');
    assert.equal(machineSymbols.displayName('__libc_write'), '__libc_write');

    // Without a symbol source (the browser), the same leaves are the libraries.
    const plain = leaves(readV8Log(bytes), libraryPaths);
    assert.ok(plain.every((l) => !l || l.name.startsWith('[')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
