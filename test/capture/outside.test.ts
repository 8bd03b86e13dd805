/**
 * The outside sampler's parts: line tables against CPython's own answers, the clear one-line
 * errors of attach/dump/top (no such process, not Python, PyPy, unsupported version, not
 * permitted), and the dump of a process blocked in a lock on Debian's static python3.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { lineFrom310, lineFromLnotab, lineFromLocations } from '../../src/capture/outside/linetable.js';
import { parseMaps } from '../../src/capture/outside/maps.js';
import { layoutFor, SUPPORTED_MINORS } from '../../src/capture/outside/layouts.js';
import { unsupportedMessage } from '../../src/capture/outside/target.js';
import { cpythons, pyenvPython } from './interpreters.js';
import { join } from 'node:path';
import { funcFile, funcName, KIND_PYTHON } from '../../src/model/profile.js';
import { dataPath, projectRoot, readProfile, removeDir, runPyrometer, selfByName } from './run.js';

// Every instruction offset of every code object in a module, with the line CPython gives it.
const LINES_PROBE = `
import sys, json, types
src = open(sys.argv[1]).read()
out = []
def walk(code):
    v = sys.version_info
    if v >= (3, 11):
        table, unit = code.co_linetable, 2
        offsets = [(o, l) for o, (l, *_ ) in enumerate(code.co_positions())]
        rows = [(o, l) for o, l in offsets]
    elif v >= (3, 10):
        table = code.co_linetable
        rows = []
        for start, end, line in code.co_lines():
            for off in range(start, end, 2):
                rows.append((off // 2, line))
    else:
        table = code.co_lnotab
        import dis
        rows = []
        starts = dict(dis.findlinestarts(code))
        line = code.co_firstlineno
        for off in range(0, len(code.co_code), 2):
            line = starts.get(off, line)
            rows.append((off, line))
    out.append({'first': code.co_firstlineno, 'table': list(table), 'rows': [r for r in rows if r[1] is not None]})
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            walk(c)
walk(compile(src, sys.argv[1], 'exec'))
print(json.dumps(out))
`;

for (const py of cpythons()) {
  test(`line tables: every instruction's line as ${py.label} computes it`, () => {
    const r = spawnSync(py.path, ['-c', LINES_PROBE, dataPath('outside/mixed.py')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const minor = Number(spawnSync(py.path, ['-c', 'import sys; print(sys.version_info[1])'], { encoding: 'utf8' }).stdout);
    const codes = JSON.parse(r.stdout) as { first: number; table: number[]; rows: [number, number][] }[];
    let checked = 0;
    for (const c of codes) {
      const table = Uint8Array.from(c.table);
      for (const [off, line] of c.rows) {
        const got =
          minor >= 11
            ? lineFromLocations(table, c.first, off)
            : minor === 10
              ? lineFrom310(table, c.first, off * 2)
              : lineFromLnotab(table, c.first, off);
        assert.equal(got, line, `code at line ${c.first}, offset ${off}`);
        checked++;
      }
    }
    assert.ok(checked > 100, `${checked} instructions checked`);
  });
}

test('line tables: synthesized edge cases (negative deltas, no-line ranges, long forms, bad bytes)', () => {
  // lnotab: +2 bytes +1 line, +2 bytes -1 line (signed since 3.6)
  assert.equal(lineFromLnotab(Uint8Array.from([2, 1, 2, 255]), 10, 0), 10);
  assert.equal(lineFromLnotab(Uint8Array.from([2, 1, 2, 255]), 10, 2), 11);
  assert.equal(lineFromLnotab(Uint8Array.from([2, 1, 2, 255]), 10, 4), 10);
  // 3.10: a range without a line (-128) keeps the previous line
  assert.equal(lineFrom310(Uint8Array.from([4, 2, 4, 128]), 5, 2), 7);
  assert.equal(lineFrom310(Uint8Array.from([4, 2, 4, 128]), 5, 6), 7);
  // 3.11 locations: long form (code 14) with a negative line delta: svarint 3 = -1
  assert.equal(lineFromLocations(Uint8Array.from([0x80 | (14 << 3) | 0, 3, 0, 0, 0]), 20, 0), 19);
  // one-line form code 12 = +2 lines, two column bytes
  assert.equal(lineFromLocations(Uint8Array.from([0x80 | (12 << 3) | 1, 0, 4]), 20, 1), 22);
  assert.equal(lineFromLocations(Uint8Array.from([0x80 | (12 << 3) | 1, 0, 4]), 20, -1), 20);
  // garbage never throws
  for (const f of [lineFromLnotab, lineFrom310, lineFromLocations])
    assert.equal(typeof f(Uint8Array.from([255, 255, 255, 64, 64]), 1, 3), 'number');
});

test('maps: addresses, offsets and paths with spaces', () => {
  const maps = parseMaps(
    '55d0c0a00000-55d0c0a21000 r--p 00001000 fe:00 123   /usr/bin/python3.11\n7f00-7f10 rw-p 00000000 00:00 0 \n7f10-7f20 r-xp 00002000 fe:00 9 /opt/my dir/libpython3.9.so.1.0\n',
  );
  assert.deepEqual(
    maps.map((m) => [m.start, m.offset, m.path]),
    [
      [0x55d0c0a00000, 0x1000, '/usr/bin/python3.11'],
      [0x7f00, 0, ''],
      [0x7f10, 0x2000, '/opt/my dir/libpython3.9.so.1.0'],
    ],
  );
});

test('layouts: 3.7 to 3.13, nothing else', () => {
  assert.deepEqual(SUPPORTED_MINORS, [7, 8, 9, 10, 11, 12, 13]);
  assert.equal(layoutFor(6), null);
  assert.equal(layoutFor(14), null);
});

function startProgram(path: string, args: string[]): Promise<{ pid: number; kill: () => void }> {
  const child = spawn(path, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve({ pid: child.pid!, kill: () => child.kill('SIGKILL') });
    });
    child.once('exit', () => reject(new Error(`${path} ended early`)));
  });
}

test('errors: no such process, not Python, PyPy, each one line with exit code 1', async () => {
  const none = await runPyrometer(['dump', '999999999']);
  assert.equal(none.code, 1);
  assert.equal(none.stderr, 'pyrometer: no such process: 999999999\n');
  const sleeper = await startProgram('/bin/sh', ['-c', 'echo up; exec sleep 30']);
  try {
    const notPython = await runPyrometer(['attach', String(sleeper.pid), '--duration', '1']);
    assert.equal(notPython.code, 1);
    assert.match(
      notPython.stderr,
      new RegExp(
        `^pyrometer: sampling process ${sleeper.pid}.*\\npyrometer: process ${sleeper.pid} \\(sleep\\) is not a CPython 3 process: no _PyRuntime in \\S*sleep or a libpython it loaded\\n$`,
      ),
    );
    assert.deepEqual(notPython.stdout, '');
    removeDir(notPython.dir);
  } finally {
    sleeper.kill();
  }
  if (existsSync('/usr/bin/pypy3')) {
    const pypy = await startProgram('/usr/bin/pypy3', ['-c', 'import time; print("up", flush=True); time.sleep(30)']);
    try {
      const r = await runPyrometer(['dump', String(pypy.pid)]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^pyrometer: process \d+ is PyPy: attach, dump and top read CPython only/);
    } finally {
      pypy.kill();
    }
  }
  removeDir(none.dir);
});

test('errors: an unsupported CPython says which versions are supported', async () => {
  const expected =
    /^pyrometer: process \d+ runs Python [23]\.\d+[.\d]*, which pyrometer cannot read from outside \(supported: CPython 3\.7, 3\.8, 3\.9, 3\.10, 3\.11, 3\.12, 3\.13\)\n$/;
  assert.match(`pyrometer: ${unsupportedMessage(42, '3.14.0')}\n`, expected);
  // a real one where this machine has one (pyenv 3.6 or 2.7): found by its file name, refused by version
  const old = pyenvPython('3.6') ?? pyenvPython('2.7');
  if (old === null) return;
  const proc = await startProgram(old, ['-c', 'import time, sys; sys.stdout.write("up\\n"); sys.stdout.flush(); time.sleep(30)']);
  try {
    const r = await runPyrometer(['dump', String(proc.pid)]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, expected);
    removeDir(r.dir);
  } finally {
    proc.kill();
  }
});

test('errors: not permitted (another user, no CAP_SYS_PTRACE) says why and what to do', async () => {
  // The program runs as nobody (Debian's python3: nobody may not enter pyenv's /root tree); pyrometer
  // runs as root without CAP_SYS_PTRACE, so the kernel's ptrace rules refuse it the other user's
  // memory. (Switching pyrometer itself to nobody would need the checkout readable by nobody.)
  const proc = await startProgram('setpriv', [
    '--reuid=65534',
    '--regid=65534',
    '--clear-groups',
    '/usr/bin/python3',
    '-c',
    'import time, sys; sys.stdout.write("up\\n"); sys.stdout.flush(); time.sleep(30)',
  ]);
  try {
    const script = 'const { main } = await import(process.env.PYROMETER_MAIN); process.exitCode = await main(process.argv.slice(1));';
    const tsx = new URL('../../node_modules/tsx/dist/loader.mjs', import.meta.url).href;
    const r = spawnSync(
      'setpriv',
      [
        '--bounding-set=-sys_ptrace',
        '--inh-caps=-sys_ptrace',
        process.execPath,
        '--import',
        tsx,
        '--input-type=module',
        '-e',
        script,
        'dump',
        String(proc.pid),
      ],
      {
        encoding: 'utf8',
        cwd: '/tmp',
        env: { ...process.env, PYROMETER_MAIN: new URL('../../src/cli/main.ts', import.meta.url).href },
      },
    );
    assert.equal(r.status, 1, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(
        `^pyrometer: not permitted to read the memory of process ${proc.pid}: the kernel's ptrace rules refuse it \\(run pyrometer as the same user as the program with ptrace allowed.*or as root / with CAP_SYS_PTRACE.*\\)\\n$`,
      ),
    );
  } finally {
    proc.kill();
  }
});

test('dump: a sleeping server (Debian static python3 or the first CPython): accept in <module>, a thread blocked in a lock', async () => {
  const py = cpythons().at(-1)!;
  const proc = await startProgram(py.path, [dataPath('outside/server.py'), 'serve']);
  try {
    const r = await runPyrometer(['dump', String(proc.pid)]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^Process ${proc.pid}: Python 3\\.\\d+`));
    assert.match(
      r.stdout,
      /Thread \d+ \(sleeping\): "MainThread"\n\s+(socket\.)?accept \(.*socket\.py:\d+\)\n\s+<module> \(.*server\.py:31\)/,
    );
    assert.match(
      r.stdout,
      /Thread \d+ \(sleeping\): "waiter"\n\s+wait_for_lock \(.*server\.py:13\)\n\s+(Thread\.)?run \(.*threading\.py:\d+\)/,
    );
    removeDir(r.dir);
  } finally {
    proc.kill();
  }
});

test('record --wall --gil --lines --mem from outside: only GIL holders, a line on every frame, RSS on every sample', async () => {
  const py = cpythons().at(-1)!;
  const run = await runPyrometer([
    'record',
    '--wall',
    '--gil',
    '--lines',
    '--mem',
    '--rate',
    '200',
    '-o',
    'g.prof',
    '--',
    py.path,
    dataPath('outside/mixed.py'),
    '1',
  ]);
  try {
    assert.equal(run.code, 0, run.stderr);
    const profile = await readProfile(join(run.dir, 'g.prof'));
    assert.equal(profile.meta.extra.gil_only, '1');
    const byName = new Map(profile.threads.map((t) => [t.name, t.samples.length]));
    assert.ok((byName.get('MainThread') ?? 0) > 20, `main thread samples: ${byName.get('MainThread')}`);
    // a thread blocked in lock.acquire never holds the GIL (it held it only while starting, before it
    // blocked: a look can land there on a loaded machine)
    const locked = byName.get('locked') ?? 0;
    assert.ok(locked <= 0.05 * (byName.get('MainThread') ?? 0), `the blocked thread held the GIL in ${locked} looks`);
    for (let f = 0; f < profile.frames.length; f++) {
      if (profile.funcs.kind[profile.frames.func[f]] === KIND_PYTHON) assert.ok(profile.frames.line[f] > 0, `frame ${f} has no line`);
    }
    for (const t of profile.threads) {
      assert.ok(t.samples.rss, `${t.name} has RSS`);
      for (let i = 0; i < t.samples.length; i++) assert.ok(t.samples.rss[i] > 1000, `RSS ${t.samples.rss[i]} KiB`);
    }
  } finally {
    removeDir(run.dir);
  }
});

for (const minor of ['3.10', '3.12']) {
  test(`names: the outside sampler and the in-process agent write the same co_name for a method, a closure, a genexpr (${minor})`, async () => {
    const python = pyenvPython(minor);
    assert.ok(python, `this test needs pyenv's CPython ${minor}`);
    const program = dataPath('outside/names.py');
    const outside = await runPyrometer(['record', '-o', 'o.prof', '--', python, program]);
    const inside = await runPyrometer(['record', '--in-process', '-o', 'i.prof', '--', python, program]);
    try {
      assert.equal(outside.code, 0, outside.stderr);
      assert.equal(inside.code, 0, inside.stderr);
      // the program's own functions, as each profile names them
      const names = async (path: string) => {
        const profile = await readProfile(path);
        const out = new Set<string>();
        for (let f = 0; f < profile.funcs.length; f++)
          if (profile.funcs.kind[f] === KIND_PYTHON && funcFile(profile, f) === program) out.add(funcName(profile, f));
        return [...out].sort();
      };
      const fromOutside = await names(join(outside.dir, 'o.prof'));
      const fromInside = await names(join(inside.dir, 'i.prof'));
      // co_qualname on 3.11+ would be Shape.area, outer.<locals>.inner, Shape.area.<locals>.<genexpr>
      const expected = ['<genexpr>', '<module>', 'area', 'inner', 'outer', 'spin'];
      assert.deepEqual(fromOutside, expected, 'outside');
      assert.deepEqual(fromInside, expected, 'in-process');
    } finally {
      removeDir(outside.dir);
      removeDir(inside.dir);
    }
  });
}

test('the bundled example: the outside sampler and the in-process agent agree on the top functions', async () => {
  const example = join(projectRoot, 'examples/hotspots.py');
  const outside = await runPyrometer(['record', '-o', 'o.prof', '--', 'python3', example]);
  const inside = await runPyrometer(['record', '--in-process', '-o', 'i.prof', '--', 'python3', example]);
  try {
    assert.equal(outside.code, 0, outside.stderr);
    assert.equal(inside.code, 0, inside.stderr);
    assert.equal(outside.stdout, inside.stdout);
    // both samplers name functions by co_name (the names-agree test below)
    const top = async (path: string, n: number) =>
      [...selfByName(await readProfile(path))]
        .filter(([name]) => !name.startsWith('<'))
        .sort((a, b) => b[1] - a[1])
        .slice(0, n)
        .map(([name]) => name);
    const outTop = await top(join(outside.dir, 'o.prof'), 3);
    const inTop = await top(join(inside.dir, 'i.prof'), 6);
    assert.equal(outTop[0], 'improve_route');
    for (const name of outTop) assert.ok(inTop.includes(name), `${name} (outside top 3: ${outTop}) is not in the agent's top 6: ${inTop}`);
  } finally {
    removeDir(outside.dir);
    removeDir(inside.dir);
  }
});
