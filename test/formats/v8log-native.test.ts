import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { readV8Log } from '../../src/formats/v8log.js';
import { machineSymbols } from '../../src/formats/machine-symbols.js';
import { readElfFunctionSymbols } from '../../src/formats/elf.js';
import { loadProfile } from '../../src/formats/load.js';
import type { NativeSymbolSource, NativeSymbolTable } from '../../src/formats/native-symbols.js';
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
  for (const line of execFileSync('nm', ['-n', '-S', path], { maxBuffer: 1 << 30 })
    .toString()
    .split('\n')) {
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
    const mangled = leaves(
      readV8Log(bytes, { nativeSymbols: { read: machineSymbols.read, displayName: (n) => n } }),
      new Set(logTicks(new TextDecoder().decode(bytes)).libraries.map((l) => l.path)),
    );
    assert.deepEqual(p.meta.warnings, [], 'every library of the log is on this machine and matches');
    const pre = JSON.parse(
      execFileSync(process.execPath, ['--prof-process', '--preprocess', log], {
        cwd: dir,
        maxBuffer: 1 << 30,
        stdio: ['ignore', 'pipe', 'ignore'],
      }).toString(),
    ) as { code: { name: string; type: string }[]; ticks: { s: number[] }[] };
    const { ticks, libraries } = logTicks(new TextDecoder().decode(bytes));
    // Files only: [vdso] has none to read symbols from.
    const libraryPaths = new Set(libraries.map((l) => l.path).filter((path) => path.startsWith('/')));
    const ours = leaves(p, libraryPaths);
    assert.equal(ours.length, ticks.length, 'one sample per tick');
    assert.equal(pre.ticks.length, ticks.length);

    const fixed = new Map<string, [number, number, string][]>();
    let byTickProcessor = 0;
    let byNm = 0;
    const differ: string[] = [];
    for (let i = 0; i < ticks.length; i++) {
      const leaf = ours[i];
      // Only ticks whose pc lies in a library file: a pc nowhere is left out, and the leaf is then a caller.
      const pcInFile = libraries.some((l) => l.path.startsWith('/') && ticks[i].pc >= l.start && ticks[i].pc < l.end);
      if (!leaf || ticks[i].external || !pcInFile) continue;
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
    assert.ok(
      libraries.some((l) => l.path === process.execPath || l.path.endsWith('/node')),
      'the log lists node itself',
    );

    // Names are demangled (Itanium C++), plain C names kept.
    const some = ours.find((l, i) => l && mangled[i]!.name === '_ZN2v88internal11HandleScope6ExtendEPNS0_7IsolateE');
    if (some) assert.equal(some.name, 'v8::internal::HandleScope::Extend(v8::internal::Isolate*)');
    assert.equal(
      machineSymbols.displayName('_ZN2v88internal11HandleScope6ExtendEPNS0_7IsolateE'),
      'v8::internal::HandleScope::Extend(v8::internal::Isolate*)',
    );
    assert.equal(machineSymbols.displayName('__libc_write'), '__libc_write');

    // Without a symbol source (the browser), the same leaves are the libraries.
    const plain = leaves(readV8Log(bytes), libraryPaths);
    assert.ok(plain.every((l) => !l || l.name.startsWith('[')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A symbol source over made-up tables, for the placement rules. */
function fakeSource(tables: Record<string, NativeSymbolTable | Error>): NativeSymbolSource {
  return { read: (path) => tables[path] ?? new Error('not on this machine'), displayName: (s) => (s === '_Z3foov' ? 'foo()' : s) };
}

test('v8log: native symbols placed by file offset: sizes, unsized symbols, aliases, gaps, several records of one library', () => {
  // libx.so mapped at 0x10000 (its file offset 0), executable pages ending at file offset 0x3000.
  const libx: NativeSymbolTable = {
    tables: [
      [
        { name: 'first', fileOffset: 0x1000, size: 0x100 },
        { name: 'alias_of_first', fileOffset: 0x1000, size: 0x100 }, // same address: the first listed wins
        { name: 'unsized', fileOffset: 0x1200, size: 0 }, // ends where the next starts (0x1400)
        { name: '_Z3foov', fileOffset: 0x1400, size: 0x10 }, // a gap after it, to 0x2000
        { name: 'outside', fileOffset: 0x5000, size: 0x10 }, // beyond the logged range: dropped
      ],
      [{ name: 'dynamic', fileOffset: 0x2000, size: 0x80 }],
    ],
    executableEnds: [0x3000],
  };
  const log = [
    'v8-version,11,3,244,8,-node.38,0',
    'shared-library,/lib/libx.so,0x10000,0x13000,0',
    'shared-library,/lib/other.so,0x20000,0x21000,0', // not on "this machine"
    'shared-library,/lib/changed.so,0x30000,0x32000,0', // on it, but another build
    'shared-library,/lib/mac.dylib,0x40000,0x41000,0x1000', // a slide: macOS
    'shared-library,[vdso],0x50000,0x51000,0', // no file: no reason to give
    ...[0x11010, 0x110ff, 0x11100, 0x11300, 0x11405, 0x11500, 0x12040, 0x20010, 0x30010, 0x40010, 0x50010].map(
      (pc, i) => `tick,0x${pc.toString(16)},${i + 1},0,0x0,0`,
    ),
  ].join('\n');
  const p = readV8Log(new TextEncoder().encode(log), {
    nativeSymbols: fakeSource({ '/lib/libx.so': libx, '/lib/changed.so': { tables: [[]], executableEnds: [0x1000] } }),
  });
  assertModelInvariants(p);
  const names = Array.from(p.threads[0].samples.stack, (s) => funcName(p, p.frames.func[p.stacks.frame[s]]));
  assert.deepEqual(names, [
    'first',
    'first',
    'libx.so', // 0x11100: past first's end, before unsized: the gap belongs to the library
    'unsized',
    'foo()', // demangled through the source
    'libx.so',
    'dynamic',
    'other.so',
    'changed.so',
    'mac.dylib',
    '[vdso]',
  ]);
  assert.equal(p.meta.warnings.length, 1);
  assert.match(p.meta.warnings[0], /native frames of 3 libraries are named by library, not function/);
  assert.match(p.meta.warnings[0], /\/lib\/other\.so \(not on this machine\)/);
  assert.match(p.meta.warnings[0], /\/lib\/changed\.so \(the file here is not the one profiled/);
  assert.match(p.meta.warnings[0], /\/lib\/mac\.dylib \(an ASLR slide/);
  // A library listed twice (node's binary, per executable segment): a symbol only the second range holds is still found.
  const twice = [
    'shared-library,/lib/libx.so,0x10000,0x11080,0',
    'shared-library,/lib/libx.so,0x10000,0x13000,0',
    'tick,0x12010,1,0,0x0,0',
  ].join('\n');
  const q = readV8Log(new TextEncoder().encode(twice), {
    nativeSymbols: fakeSource({ '/lib/libx.so': { ...libx, executableEnds: [0x1080, 0x3000] } }),
  });
  assert.equal(funcName(q, q.frames.func[q.stacks.frame[q.threads[0].samples.stack[0]]]), 'dynamic');
});

test('elf: function symbols as nm lists them (t, T, W; not data, ifuncs or undefined), by file offset', () => {
  // The node binary running this test: nm's own listing is the oracle.
  const table = readElfFunctionSymbols(process.execPath);
  const nmCount = (args: string[]) =>
    execFileSync('nm', args, { maxBuffer: 1 << 30 })
      .toString()
      .split('\n')
      .filter((l) => /^[0-9a-f]{8,16} ([0-9a-f]{8,16} )?[tTwW] /.test(l)).length;
  assert.deepEqual(
    table.tables.map((t) => t.length),
    [nmCount(['-n', '-S', process.execPath]), nmCount(['-n', '-S', '-D', process.execPath])].filter((n) => n > 0),
  );
  assert.ok(table.executableEnds.length > 0);
  assert.throws(() => readElfFunctionSymbols(join(tmpdir(), 'no-such-library.so')), /ENOENT/);
  assert.ok(machineSymbols.read('/no/such/lib.so') instanceof Error);
  const notElf = join(mkdtempSync(join(tmpdir(), 'pyrometer-elf-')), 'lib.so');
  writeFileSync(notElf, 'not an ELF file at all, just text long enough for a header...................');
  assert.match((machineSymbols.read(notElf) as Error).message, /not an ELF file/);
  rmSync(dirname(notElf), { recursive: true, force: true });
});

test('loadProfile names native frames from this machine by default, and not when told (the server, for uploads)', async () => {
  // A log whose library is the node binary running this test, mapped at a made-up start.
  const table = readElfFunctionSymbols(process.execPath);
  // A symbol alone at its address (an alias listed before it would win) with nothing starting just after.
  const all = table.tables.flat();
  const starts = new Map<number, number>();
  for (const s of all) starts.set(s.fileOffset, (starts.get(s.fileOffset) ?? 0) + 1);
  const symbol = all.find(
    (s) =>
      s.size > 16 &&
      s.fileOffset > 0 &&
      s.fileOffset + s.size < table.executableEnds.at(-1)! &&
      starts.get(s.fileOffset) === 1 &&
      !starts.has(s.fileOffset + 1),
  )!;
  const start = 0x10000000;
  const log = [
    'v8-version,11,3,244,8,-node.38,0',
    `shared-library,${process.execPath},0x${start.toString(16)},0x${(start + table.executableEnds.at(-1)!).toString(16)},0`,
    `tick,0x${(start + symbol.fileOffset + 1).toString(16)},1,0,0x0,0`,
  ].join('\n');
  const dir = mkdtempSync(join(tmpdir(), 'pyrometer-v8load-'));
  try {
    const path = join(dir, 'isolate-0x1-1-v8.log');
    writeFileSync(path, log);
    const leafName = (p: Profile) => funcName(p, p.frames.func[p.stacks.frame[p.threads[0].samples.stack[0]]]);
    assert.equal(leafName(await loadProfile(path)), machineSymbols.displayName(symbol.name));
    assert.equal(leafName(await loadProfile(path, { nativeSymbols: false })), basename(process.execPath));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
