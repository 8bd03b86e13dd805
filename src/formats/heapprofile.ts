/**
 * V8 sampling heap profiles (`.heapprofile`: Chrome DevTools "Allocation
 * sampling", `node --heap-prof`, the inspector's HeapProfiler.SamplingHeapProfile).
 *
 * Layout: { head: node, samples?: [{ size, nodeId, ordinal }] }, where
 *   node = { callFrame: { functionName, url, lineNumber (0-based), columnNumber, scriptId },
 *            selfSize (bytes still allocated by this call path), id?, children: [node] }
 *
 * What the reader makes of it: one sample per call path with allocated bytes
 * (weight = selfSize, unit bytes), in tree order, on one thread; the `(root)`
 * node is not a frame. These are allocations still alive when the profile
 * was taken, sampled by V8, not every allocation.
 */
import { ProfileBuilder } from '../model/builder.js';
import type { Profile } from '../model/profile.js';
import type { Format } from './registry.js';
import { JsonShapeError, asArray, asNumber, asObject, parseJsonProfile, withShapeErrors } from './json-input.js';
import { stackResolver, type CallNode } from './chrome.js';
import { heapProfileSignature } from './signatures/heapprofile.js';
export { sniffHeapProfile } from './signatures/heapprofile.js';

const FORMAT = 'heapprofile';

export function readHeapProfile(bytes: Uint8Array): Profile {
  const root = parseJsonProfile(FORMAT, bytes);
  return withShapeErrors(FORMAT, () => {
    const o = asObject(root, '$');
    const builder = new ProfileBuilder(FORMAT, { weightUnit: 'bytes', flags: ['memory'] });
    const thread = builder.thread('main', 'main');
    const nodes = new Map<number, CallNode>();
    const sizes: [number, number][] = []; // node id, selfSize, in tree order
    // Iterative walk: allocation trees can be as deep as the program's recursion.
    const todo: [unknown, number, string][] = [[o.head, -1, '$.head']];
    let nextId = 0;
    while (todo.length > 0) {
      const [value, parent, path] = todo.pop()!;
      const raw = asObject(value, path);
      const cf = asObject(raw.callFrame, `${path}.callFrame`);
      const id = nextId++; // ids are optional in older files: number the nodes ourselves
      const line = typeof cf.lineNumber === 'number' && cf.lineNumber >= 0 ? cf.lineNumber + 1 : 0;
      nodes.set(id, {
        id,
        parent,
        name: typeof cf.functionName === 'string' ? cf.functionName : '',
        url: typeof cf.url === 'string' ? cf.url : '',
        line,
      });
      const self = raw.selfSize === undefined ? 0 : asNumber(raw.selfSize, `${path}.selfSize`);
      if (self < 0) throw new JsonShapeError(`${path}.selfSize: negative size ${self}`);
      if (self > 0) sizes.push([id, self]);
      const children = raw.children === undefined ? [] : asArray(raw.children, `${path}.children`);
      for (let i = children.length - 1; i >= 0; i--) todo.push([children[i], id, `${path}.children[${i}]`]);
    }
    const stackOf = stackResolver(builder, nodes);
    let time = 0;
    for (const [id, size] of sizes) {
      builder.addSample(thread, stackOf(id, '$.head'), time, size);
      time += 1;
    }
    if (Array.isArray(o.samples)) builder.meta.extra.samples = String(o.samples.length);
    return builder.build();
  });
}

export const heapProfileFormat: Format = {
  ...heapProfileSignature,
  read: (bytes) => readHeapProfile(bytes),
};
