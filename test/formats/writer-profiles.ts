/**
 * Profiles the writer tests share: a small synthetic one with every feature a
 * writer must carry (two threads, every category, lines, RSS, nested markers)
 * and names built to break naive escaping in JSON, XML/SVG, DOT and callgrind.
 */
import { ProfileBuilder } from '../../src/model/builder.js';
import type { Profile } from '../../src/model/profile.js';

/** Names that break naive HTML/XML/DOT/JSON/callgrind output. */
export const HOSTILE_NAMES = [
  '<script>alert("pwned")</script>',
  'a & b; c < d > e "quoted" \'single\'',
  'dot "label" \\ {brace} [bracket] |pipe| <port> -> edge; \\l \\n',
  'ctl\u0001\u0007\u001f\ttab\nnewline\rcr',
  ']]> <!-- --> <![CDATA[ x ]]>',
  '(42) fn=paren fl=file calls=1 2',
  'ünïcødé 名前 🔥 \u2028\u2029',
];

export function syntheticProfile(): Profile {
  const b = new ProfileBuilder('synthetic', { interpreter: 'pypy', interval: 1, startTime: 1_700_000_000_000, flags: ['memory', 'lines'] });
  const main = b.func('main', 'app/main.py', 1);
  const work = b.func('work', 'app/work.py', 10);
  const leaf = b.func('leaf', 'app/work.py', 30);
  const native = b.func('memcpy', '', 0, 'native');
  const gc = b.func('gc-minor', '', 0, 'gc');
  const hostile = HOSTILE_NAMES.map((n, i) => b.func(n, `dir/${n}.py`, i + 1));
  const idle = b.func('<idle>', '', 0, 'other');

  const mainThread = b.thread('1', 'MainThread', '4242');
  const worker = b.thread('2', 'worker <&>', '4242');
  const fMain = b.frame(main, 3);
  const fWork12 = b.frame(work, 12);
  const fWork14 = b.frame(work, 14);
  const fWorkJit = b.frame(work, 12, 'jit');
  const fLeaf = b.frame(leaf, 31);
  const fNative = b.frame(native);
  const fGc = b.frame(gc);
  const fIdle = b.frame(idle, 0, 'idle');
  let t = 0;
  const add = (thread: number, frames: number[], n: number, rss?: number) => {
    for (let i = 0; i < n; i++) b.addSampleFrames(thread, frames, (t += 1), 1, rss === undefined ? undefined : rss + i);
  };
  add(mainThread, [fMain, fWork12, fLeaf], 40, 10_000);
  add(mainThread, [fMain, fWork14, fNative], 20, 12_000);
  add(mainThread, [fMain, fWorkJit, fLeaf], 15, 11_000);
  add(mainThread, [fMain, fGc], 10, 9_000);
  add(mainThread, [fMain], 5, 9_500);
  // Recursion: work -> work -> leaf.
  add(mainThread, [fMain, fWork12, fWork14, fLeaf], 6, 9_600);
  for (const [i, h] of hostile.entries()) add(mainThread, [fMain, b.frame(h, i + 2), fLeaf], 3 + i, 9_700);
  add(worker, [b.frame(work, 12), fLeaf], 12);
  add(worker, [fIdle], 8);
  b.addSample(worker, -1, (t += 1));

  b.addMarker(mainThread, 'gc-minor', 2, 6, 'gc-minor', { freed: 1024, note: 'walk <roots> & "x"' });
  b.addMarker(mainThread, 'gc-minor-walkroots', 3, 4, 'gc-minor', null, 1);
  b.addMarker(mainThread, 'jit-tracing', 20, 30.5, 'jit-tracing', { loop: 'loop #1' });
  b.addMarker(mainThread, HOSTILE_NAMES[0], 40, 40, 'jit-abort');
  return b.build();
}
