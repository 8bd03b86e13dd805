/**
 * Builds small profiles from text drawings of stacks, one sample per line,
 * root first, for model tests:
 *
 *   main;parse;read 3      (three samples of that stack)
 *   main;compute:12        (function `compute` at line 12)
 *   worker@T2: run;spin    (a sample on thread "T2")
 */
import { ProfileBuilder } from '../../src/model/builder.js';
import type { Profile } from '../../src/model/profile.js';

export function profileFromText(text: string, interval = 1): Profile {
  const b = new ProfileBuilder('test', { interval });
  let time = 0;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    let threadName = 'main';
    let body = line;
    const at = /^\S+@(\S+):\s*(.*)$/.exec(line);
    if (at) {
      threadName = at[1];
      body = at[2];
    }
    const m = /^(.*?)(?:\s+(\d+))?$/.exec(body)!;
    const count = m[2] ? Number(m[2]) : 1;
    const frames = m[1].split(';').map((part) => {
      const [name, lineNo] = part.split(':');
      const kind = name.startsWith('n!') ? 'native' : name.startsWith('idle!') ? 'native' : 'python';
      const func = b.func(name, `${name.replace(/!.*/, '')}.py`, 1, kind);
      return b.frame(func, lineNo ? Number(lineNo) : 0, name.startsWith('idle!') ? 'idle' : undefined);
    });
    const thread = b.thread(threadName, threadName);
    const stack = b.stackOf(frames);
    for (let i = 0; i < count; i++) {
      b.addSample(thread, stack, time);
      time += interval;
    }
  }
  return b.build();
}

/** Index of the function with this name (throws when absent, so a typo fails the test). */
export function funcNamed(profile: Profile, name: string): number {
  for (let f = 0; f < profile.funcs.length; f++) if (profile.strings[profile.funcs.name[f]] === name) return f;
  throw new Error(`no function ${name}`);
}

/** Samples as "a;b;c" strings → counts: a format-independent picture of a profile. */
export function collapsedStacks(profile: Profile): Map<string, number> {
  const out = new Map<string, number>();
  for (const t of profile.threads) {
    for (let i = 0; i < t.samples.length; i++) {
      const names: string[] = [];
      for (let s = t.samples.stack[i]; s >= 0; s = profile.stacks.prefix[s]) {
        names.push(profile.strings[profile.funcs.name[profile.frames.func[profile.stacks.frame[s]]]]);
      }
      if (names.length === 0) continue;
      const key = names.reverse().join(';');
      out.set(key, (out.get(key) ?? 0) + t.samples.weight[i]);
    }
  }
  return out;
}
