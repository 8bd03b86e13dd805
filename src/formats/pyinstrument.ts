/**
 * pyinstrument's outputs (a sampling profiler for Python).
 *
 * Layouts:
 *   session  (`pyinstrument -r session`, `.pyisession`, Session.save):
 *            { start_time (epoch s), duration (s), sample_count, start_call_stack,
 *              target_description, cpu_time, sys_path, frame_records:
 *              [[ [frame info, root first], time (s) ], ...] }
 *            frame info = "function\0file\0first line", then optional
 *            "\x01"-separated attributes ("l<line>" the line running, "c<class>").
 *   json     (`pyinstrument -r json`): { start_time, duration, sample_count, cpu_time,
 *            root_frame: { function, file_path, line_no, time (s, inclusive), children } }
 *   html     (`pyinstrument -r html`): a page whose script holds
 *            `const sessionData = { session: {...}, frame_tree: { identifier, time,
 *            attributes, children } };`
 * What the reader makes of it: a thread per `<thread>` pseudo-frame (sessions of
 * pyinstrument 4+ start each record with one), else one; a sample per frame record (session:
 * weight = its time in ms, in record order, times accumulated) or per tree node
 * with self time (json, html: weight = inclusive time minus the children's).
 * The synthetic `[root]` frame is dropped and `[self]` time goes to its parent;
 * in sessions, the launcher frames above the one that started profiling
 * (`start_call_stack`) are left out, as pyinstrument's own views leave them out.
 */
import { ProfileBuilder } from '../model/builder.js';
import type { Profile, StackIndex } from '../model/profile.js';
import { ProfileFormatError } from './errors.js';
import type { Format } from './registry.js';
import { JsonShapeError, asArray, asNumber, asObject, asString, jsonSyntaxError, parseJsonProfile, withShapeErrors } from './json-input.js';
import { pyinstrumentSignature } from './signatures/pyinstrument.js';
export { sniffPyinstrument } from './signatures/pyinstrument.js';

const FORMAT = 'pyinstrument';
const HTML_MARKER = 'const sessionData = ';

export function readPyinstrument(bytes: Uint8Array): Profile {
  let root: unknown;
  if (/^\s*</.test(new TextDecoder().decode(bytes.subarray(0, 64)))) root = sessionFromHtml(bytes);
  else root = parseJsonProfile(FORMAT, bytes);
  return withShapeErrors(FORMAT, () => {
    const o = asObject(root, '$');
    const builder = new ProfileBuilder(FORMAT, { weightUnit: 'ms', interpreter: 'cpython' });
    const session = o.session !== undefined ? asObject(o.session, '$.session') : o;
    readSessionMeta(builder, session);
    if (Array.isArray(o.frame_records))
      readRecords(
        builder,
        () => builder.thread('main', 'main'),
        o.frame_records,
        Array.isArray(o.start_call_stack) ? o.start_call_stack : [],
      );
    else if (o.frame_tree !== undefined) readTree(builder, builder.thread('main', 'main'), o.frame_tree, '$.frame_tree', identifierFrame);
    else if (o.root_frame !== undefined) readTree(builder, builder.thread('main', 'main'), o.root_frame, '$.root_frame', renderedFrame);
    else throw new JsonShapeError('$: expected "frame_records" (a session), "root_frame" (JSON output) or "frame_tree" (HTML output)');
    return builder.build();
  });
}

/** The session object the HTML renderer embeds in its page. */
function sessionFromHtml(bytes: Uint8Array): unknown {
  const text = new TextDecoder().decode(bytes);
  const at = text.indexOf(HTML_MARKER);
  if (at < 0) throw new ProfileFormatError(FORMAT, `an HTML page without pyinstrument's session data ("${HTML_MARKER.trim()}")`, 0);
  const start = at + HTML_MARKER.length;
  const end = text.indexOf(';\n', start);
  const json = text
    .slice(start, end < 0 ? undefined : end)
    .trim()
    .replace(/;$/, '');
  try {
    return JSON.parse(json);
  } catch {
    const { offset, expected } = jsonSyntaxError(json);
    throw new ProfileFormatError(
      FORMAT,
      `invalid JSON in the page's session data: ${expected}`,
      new TextEncoder().encode(text.slice(0, start + offset)).length,
    );
  }
}

function readSessionMeta(builder: ProfileBuilder, s: Record<string, unknown>): void {
  if (typeof s.start_time === 'number') builder.meta.startTime = s.start_time * 1000;
  if (typeof s.duration === 'number' && builder.meta.startTime > 0) builder.meta.endTime = builder.meta.startTime + s.duration * 1000;
  if (typeof s.min_interval === 'number') builder.meta.interval = s.min_interval * 1000;
  if (typeof s.target_description === 'string') builder.meta.extra.target = s.target_description;
  if (typeof s.sample_count === 'number') builder.meta.extra.sampleCount = String(s.sample_count);
  if (typeof s.cpu_time === 'number') builder.meta.extra.cpuTimeSeconds = String(s.cpu_time);
}

interface FrameInfo {
  name: string;
  file: string;
  line: number; // first line of the function
  current: number; // the line running, 0 when unknown
}

/** "function\0file\0line" plus "\x01l<line>" / "\x01c<class>" attributes. */
function parseFrameInfo(info: string): FrameInfo {
  const [identifier, ...attributes] = info.split('\x01');
  const [name, file = '', line = '0'] = identifier.split('\x00');
  let current = 0;
  let className = '';
  for (const a of attributes) {
    if (a[0] === 'l') current = Number(a.slice(1)) || 0;
    else if (a[0] === 'c') className = a.slice(1);
  }
  return { name: className && !name.includes('.') ? `${className}.${name}` : name, file, line: Number(line) || 0, current };
}

function frameOf(builder: ProfileBuilder, f: FrameInfo): number {
  return builder.frame(builder.func(f.name, f.file, f.line, f.file === '' ? 'other' : 'python'), f.current || 0);
}

/** Frame records; pyinstrument 4+ puts the thread first, as a "name\0<thread>\0id" frame. */
function readRecords(builder: ProfileBuilder, mainThread: () => number, records: unknown[], startCallStack: unknown[]): void {
  const stacks = new Map<string, { thread: number; stack: StackIndex }>();
  // pyinstrument shows the tree from the frame that started profiling on (the frames of
  // start_call_stack above it are its own launcher): skip them where every record has them.
  const identifier = (f: unknown) => (typeof f === 'string' ? f.split('\x01')[0] : '');
  const start = startCallStack.map(identifier);
  let stem = start.length;
  for (const r of records) {
    const frames = Array.isArray(r) && Array.isArray(r[0]) ? r[0] : [];
    let k = 0;
    while (k < stem && k < frames.length - 1 && identifier(frames[k]) === start[k]) k++;
    stem = k;
    if (stem === 0) break;
  }
  const skipBelow = stem - 1; // keep the last frame of the stem: profiling started inside it
  let time = 0;
  records.forEach((r, i) => {
    const path = `$.frame_records[${i}]`;
    const record = asArray(r, path);
    const frames = asArray(record[0], `${path}[0]`);
    const seconds = asNumber(record[1], `${path}[1]`);
    if (seconds < 0) throw new JsonShapeError(`${path}[1]: negative time ${seconds}`);
    const key = frames.join('\u0002');
    let known = stacks.get(key);
    if (known === undefined) {
      let stack = -1;
      let thread = -1;
      frames.forEach((f, k) => {
        const info = parseFrameInfo(asString(f, `${path}[0][${k}]`));
        if (k === 0 && info.file === '<thread>') {
          thread = builder.thread(String(info.line), info.name);
          return;
        }
        if (info.name === '[root]' || info.name === '[self]' || k < skipBelow) return;
        stack = builder.stack(stack, frameOf(builder, info));
      });
      known = { thread: thread < 0 ? mainThread() : thread, stack };
      stacks.set(key, known);
    }
    builder.addSample(known.thread, known.stack, time, seconds * 1000);
    time += seconds * 1000;
  });
}

type NodeFrame = (builder: ProfileBuilder, node: Record<string, unknown>, path: string) => FrameInfo;

/** HTML's frame tree: identifiers as in frame records; attributes map each seen attribute to its time: the line that took longest is the frame's. */
const identifierFrame: NodeFrame = (_builder, node, path) => {
  const info = parseFrameInfo(asString(node.identifier, `${path}.identifier`));
  if (typeof node.attributes === 'object' && node.attributes !== null) {
    let best = -1;
    for (const [attribute, time] of Object.entries(node.attributes as Record<string, unknown>)) {
      if (attribute[0] === 'l' && typeof time === 'number' && time > best) {
        best = time;
        info.current = Number(attribute.slice(1)) || 0;
      }
    }
  }
  return info;
};

/** The JSON renderer's processed tree. */
const renderedFrame: NodeFrame = (_builder, node, path) => {
  const name = asString(node.function, `${path}.function`);
  const file = typeof node.file_path === 'string' ? node.file_path : '';
  const line = typeof node.line_no === 'number' ? node.line_no : 0;
  return { name: typeof node.class_name === 'string' && node.class_name ? `${node.class_name}.${name}` : name, file, line, current: 0 };
};

/** A tree of inclusive times: every node's self time becomes one sample (iterative: trees follow recursion depth). */
function readTree(builder: ProfileBuilder, thread: number, root: unknown, rootPath: string, frame: NodeFrame): void {
  let time = 0;
  const todo: [unknown, StackIndex, string][] = [[root, -1, rootPath]];
  while (todo.length > 0) {
    const [value, parent, path] = todo.pop()!;
    if (value === null) continue;
    const node = asObject(value, path);
    const info = frame(builder, node, path);
    const inclusive = asNumber(node.time, `${path}.time`);
    const children = node.children === undefined ? [] : asArray(node.children, `${path}.children`);
    const synthetic = info.name === '[root]' || info.name === '[self]';
    const stack = synthetic ? parent : builder.stack(parent, frameOf(builder, info));
    let childTime = 0;
    for (let i = children.length - 1; i >= 0; i--) {
      const child = children[i];
      if (typeof child === 'object' && child !== null && typeof (child as Record<string, unknown>).time === 'number') {
        childTime += (child as Record<string, unknown>).time as number;
      }
      todo.push([child, stack, `${path}.children[${i}]`]);
    }
    const self = inclusive - childTime;
    // Rounded times (the JSON renderer prints 6 decimals) may leave a hair of negative self time.
    if (self > 1e-6 && stack >= 0) {
      builder.addSample(thread, stack, time, self * 1000);
      time += self * 1000;
    }
  }
}

export const pyinstrumentFormat: Format = {
  ...pyinstrumentSignature,
  read: (bytes) => readPyinstrument(bytes),
};
