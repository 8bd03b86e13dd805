/**
 * The VMProf reader's last step: the proto frames get their names (code names may arrive after
 * the stacks that use them), and become the model's functions, frames and stacks.
 */
import type { ProfileBuilder } from '../../model/builder.js';
import type { Category, Counter, FunctionKind, Profile } from '../../model/profile.js';
import { parseCodeName } from './names.js';
import {
  addressKey,
  hexAddress,
  P_ASSEMBLER,
  P_BLACKHOLE,
  P_CODE,
  P_GC,
  P_JITTED,
  P_JITTING,
  P_NATIVE,
  P_OTHER_TAG,
  type ProtoStacks,
} from './proto-stacks.js';

export interface CodeNames {
  /** 0x02 records: code object names, by address key. */
  code: Map<number | string, string>;
  /** 0x08 records: native symbols, by address key. */
  native: Map<number | string, string>;
  /** A file from before the 0x05 header: untagged stacks are native C stacks. */
  legacy: boolean;
}

/** The model frame of every proto frame, made through the builder. */
export function buildFrames(tree: ProtoStacks, names: CodeNames, b: ProfileBuilder): Int32Array {
  const out = new Int32Array(tree.frameCount);
  const funcCache = new Map<string, number>();
  const fixed = (name: string, kind: FunctionKind): number => {
    let f = funcCache.get(name);
    if (f === undefined) funcCache.set(name, (f = b.func(name, '', 0, kind)));
    return f;
  };
  const named = (addr: number, fallbackKind: FunctionKind, unknownPrefix: string): number => {
    const lo = tree.addrLo[addr];
    const hi = tree.addrHi[addr];
    const key = addressKey(lo, hi);
    const text = names.code.get(key) ?? names.native.get(key);
    if (text === undefined) return b.func(`${unknownPrefix} ${hexAddress(lo, hi)}>`, '', 0, fallbackKind);
    const parts = parseCodeName(text);
    const kind: FunctionKind = fallbackKind === 'jit' ? 'jit' : parts.kind === 'other' ? fallbackKind : parts.kind;
    return b.func(parts.name, parts.file, parts.line, kind);
  };
  for (let i = 0; i < tree.frameCount; i++) {
    const kind = tree.frameKind[i];
    const addr = tree.frameAddr[i];
    const line = tree.frameLine[i];
    let func: number;
    let category: Category | undefined;
    switch (kind) {
      case P_BLACKHOLE:
        func = fixed('<blackhole interpreter>', 'jit');
        break;
      case P_JITTING:
        func = fixed('<JIT compiler>', 'jit');
        break;
      case P_GC:
        func = fixed('<GC>', 'gc');
        break;
      case P_OTHER_TAG:
        func = fixed(`<unknown frame kind ${line}>`, 'other');
        break;
      case P_ASSEMBLER:
        func = named(addr, 'jit', '<JIT code');
        break;
      case P_NATIVE:
        func = named(addr, 'native', '<unknown');
        break;
      case P_JITTED:
        func = named(addr, 'python', '<unknown');
        category = 'jit';
        break;
      case P_CODE:
        func = named(addr, 'python', '<unknown');
        break;
      default: {
        // Untagged: odd addresses are native frames (start address | 1); legacy stacks are native C stacks.
        func = named(addr, (tree.addrLo[addr] & 1) === 1 || names.legacy ? 'native' : 'python', '<unknown');
      }
    }
    const frameLine = kind === P_OTHER_TAG ? 0 : line;
    out[i] = category === undefined ? b.frame(func, frameLine) : b.frame(func, frameLine, category);
  }
  return out;
}

/**
 * True when every proto stack is its own stack: one index made them all and no two proto
 * frames became one frame. Then proto stack s is stack s, and no interning is needed.
 */
export function stacksAreDistinct(tree: ProtoStacks, profileFrames: Int32Array, frameCount: number): boolean {
  if (tree.plainWalks && tree.frameWalks) return false;
  const seen = new Uint8Array(frameCount);
  for (let i = 0; i < profileFrames.length; i++) {
    if (seen[profileFrames[i]]) return false;
    seen[profileFrames[i]] = 1;
  }
  return true;
}

/** The stack table straight from the proto stacks (parents come before children). */
export function stackTable(tree: ProtoStacks, profileFrames: Int32Array): Profile['stacks'] {
  const n = tree.stackCount;
  const frame = new Int32Array(n);
  const prefix = tree.stackPrefix.slice(0, n);
  const depth = new Int32Array(n);
  for (let s = 0; s < n; s++) {
    frame[s] = profileFrames[tree.stackFrame[s]];
    const p = prefix[s];
    depth[s] = p < 0 ? 1 : depth[p] + 1;
  }
  return { length: n, frame, prefix, depth };
}

/** Interns the proto stacks through the builder: two may be one stack (two code objects of one function). */
export function internStacks(tree: ProtoStacks, profileFrames: Int32Array, b: ProfileBuilder): Int32Array {
  const stackMap = new Int32Array(tree.stackCount);
  for (let s = 0; s < tree.stackCount; s++) {
    const prefix = tree.stackPrefix[s];
    stackMap[s] = b.stack(prefix < 0 ? -1 : stackMap[prefix], profileFrames[tree.stackFrame[s]]);
  }
  return stackMap;
}

/** The RSS of every sample as one process-wide counter, in time order. */
export function rssCounter(profile: Profile): Counter {
  const parts = profile.threads.filter((t) => t.samples.rss !== null);
  let time: Float64Array;
  let value: Float64Array;
  if (parts.length === 1) {
    // copies: the sampler's time marks later move sample times and counter times each by
    // their record number (an aliased array was moved twice, its times read as record numbers)
    time = parts[0].samples.time.slice();
    value = (parts[0].samples.rss as Float64Array).slice();
  } else {
    const n = parts.reduce((sum, t) => sum + t.samples.length, 0);
    time = new Float64Array(n);
    value = new Float64Array(n);
    const cursor = parts.map(() => 0);
    for (let i = 0; i < n; i++) {
      let best = -1;
      for (let t = 0; t < parts.length; t++) {
        if (cursor[t] < parts[t].samples.length && (best < 0 || parts[t].samples.time[cursor[t]] < parts[best].samples.time[cursor[best]]))
          best = t;
      }
      time[i] = parts[best].samples.time[cursor[best]];
      value[i] = (parts[best].samples.rss as Float64Array)[cursor[best]];
      cursor[best]++;
    }
  }
  return { name: 'RSS', category: 'memory', unit: 'KiB', thread: parts.length === 1 ? profile.threads.indexOf(parts[0]) : -1, time, value };
}
