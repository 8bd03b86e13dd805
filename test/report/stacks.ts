/**
 * Builds small profiles from text drawings of stacks, for report tests:
 *   stacksProfile(['main;parse;read 3', 'main;compute 5'])
 * Each line is frames root first, separated by ';', then a sample count.
 * A frame may carry a location: `compute@/src/app/calc.py:10` (line 10 is the
 * function's first line; `compute@/src/app/calc.py:10:14` samples line 14).
 */
import { ProfileBuilder } from '../../src/model/builder.js';
import type { Profile } from '../../src/model/profile.js';

export function stacksProfile(lines: string[], options: { thread?: string; interval?: number; build?: ProfileBuilder } = {}): Profile {
  const b = options.build ?? new ProfileBuilder('test', { interpreter: 'cpython', interval: options.interval ?? 1 });
  addStacks(b, lines, options.thread ?? '1');
  return b.build();
}

export function addStacks(b: ProfileBuilder, lines: string[], threadId: string, threadName = ''): void {
  const thread = b.thread(threadId, threadName);
  let time = 0;
  for (const line of lines) {
    const m = /^(.*)\s+(\d+)$/.exec(line.trim());
    if (!m) throw new Error(`bad stack line: ${line}`);
    const frames = m[1].split(';').map((spec) => {
      const [name, where = ''] = spec.split('@');
      const parts = where.split(':');
      const file = parts[0] ?? '';
      const first = Number(parts[1] ?? 0);
      const at = Number(parts[2] ?? 0);
      return b.frame(b.func(name, file, first), at);
    });
    const stack = b.stackOf(frames);
    for (let i = 0; i < Number(m[2]); i++) b.addSample(thread, stack, time++);
  }
}
