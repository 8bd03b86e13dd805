/**
 * The legacy vmprof upload (`POST /api/log/`, vmprof-python before 0.4): the
 * client parsed the profile itself and posted JSON
 *
 *   {"VM": "CPython", "argv": "...", "version": 2,
 *    "profiles": [name, "addr", count, meta, [children...]]}
 *
 * where each node's name is vmprof's `py:func:line:file` (or `n:` native) and
 * `count` is the node's total (self + children). Version 1 posted a flat list
 * instead: `"profiles": [[[addr, ...root first], count], ...]` with an
 * `"addresses": {addr: name}` table. Both become a Profile whose samples carry
 * the self counts as weights.
 */
import { ProfileBuilder } from '../../model/builder.js';
import type { Profile } from '../../model/profile.js';
import { ProfileFormatError } from '../errors.js';
import { parseCodeName } from './names.js';

const FORMAT = 'vmprof-legacy-json';

export interface LegacyUpload {
  vm: string;
  argv: string;
  profile: Profile;
}

function fail(detail: string): never {
  throw new ProfileFormatError(FORMAT, detail);
}

export function parseLegacyUpload(json: unknown): LegacyUpload {
  if (!json || typeof json !== 'object' || Array.isArray(json)) fail('the body must be a JSON object with VM, argv and profiles');
  const body = json as Record<string, unknown>;
  const vm = typeof body.VM === 'string' ? body.VM : '';
  const argv = typeof body.argv === 'string' ? body.argv : Array.isArray(body.argv) ? body.argv.join(' ') : '';
  if (!('profiles' in body)) fail('missing "profiles"');
  const b = new ProfileBuilder(FORMAT, {
    interpreter: vm.toLowerCase(),
    formatVersion: typeof body.version === 'number' ? body.version : null,
  });
  const thread = b.thread('0', 'main');
  const frameOf = new Map<string, number>();
  const frame = (vmprofName: string): number => {
    let f = frameOf.get(vmprofName);
    if (f === undefined) {
      const p = parseCodeName(vmprofName);
      f = b.frame(b.func(p.name, p.file, p.line, p.kind));
      frameOf.set(vmprofName, f);
    }
    return f;
  };
  let time = 0;
  const profiles = body.profiles;
  if (Array.isArray(profiles) && profiles.length > 0 && typeof profiles[0] === 'string') {
    // Version 2: one tree. Walk it with an explicit stack: real programs recurse deeply.
    const work: [unknown, number][] = [[profiles, -1]];
    while (work.length > 0) {
      const [node, parentStack] = work.pop()!;
      if (!Array.isArray(node) || node.length < 5 || typeof node[0] !== 'string' || !Array.isArray(node[4])) {
        fail('a tree node is not [name, addr, count, meta, children]');
      }
      const count = Number(node[2]);
      if (!Number.isFinite(count) || count < 0) fail(`node ${JSON.stringify(node[0])} has count ${JSON.stringify(node[2])}`);
      const stack = b.stack(parentStack, frame(node[0]));
      let childTotal = 0;
      for (const child of node[4] as unknown[]) {
        if (Array.isArray(child)) childTotal += Number(child[2]) || 0;
        work.push([child, stack]);
      }
      const self = count - childTotal;
      if (self > 0) b.addSample(thread, stack, time++, self);
    }
  } else if (Array.isArray(profiles)) {
    // Version 1: a list of ([addresses root first], count) with an address table.
    const addresses = (body.addresses && typeof body.addresses === 'object' ? body.addresses : {}) as Record<string, unknown>;
    for (const entry of profiles) {
      if (!Array.isArray(entry) || !Array.isArray(entry[0])) fail('a profile entry is not [[addresses...], count]');
      const frames = (entry[0] as unknown[]).map((addr) => {
        const name = addresses[String(addr)];
        return frame(typeof name === 'string' ? name : `0x${Number(addr).toString(16)}`);
      });
      const count = Number(entry[1] ?? 1);
      if (!Number.isFinite(count) || count < 0) fail(`a profile entry has count ${JSON.stringify(entry[1])}`);
      if (count > 0) b.addSample(thread, b.stackOf(frames), time++, count);
    }
  } else {
    fail('"profiles" must be a list');
  }
  return { vm, argv, profile: b.build() };
}
