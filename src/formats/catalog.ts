/**
 * The formats pyrometer reads, as the Node loader sees them before reading: each one's signature
 * (name, extensions and sniff, in small modules without reader code) and how to load its reader.
 * Sniffing here loads only the reader that matches: `info run.pstats` loads neither protobufjs nor
 * fflate nor the twenty other readers (issue 18's start-up). The browser and the tests use all.ts,
 * which registers every format; the order here is all.ts's sniffing order, and
 * test/formats/catalog.test.ts checks that the two lists agree.
 */
import { byName, pickBySniff, type Format, type FormatSignature } from './registry.js';
import { vmprofSignature } from './vmprof/signature.js';
import { pstatsSignature } from './pstats/signature.js';
import { lprofSignature } from './signatures/lprof.js';
import { callgrindSignature } from './callgrind/signature.js';
import { perfSignature } from './perf/signature.js';
import { pypylogSignature } from './pypylog/signature.js';
import { jitlogSignature } from './jitlog/signature.js';
import { v8LogSignature } from './signatures/v8log.js';
import { v8LogJsonSignature } from './signatures/v8log-json.js';
import { firefoxSignature } from './firefox/signature.js';
import { austinSignature } from './signatures/austin.js';
import { speedscopeSignature } from './signatures/speedscope.js';
import { chromeSignature } from './signatures/chrome.js';
import { gcovSignature } from './signatures/gcov.js';
import { lcovSignature } from './signatures/lcov.js';
import { traceEventSignature } from './signatures/trace-event.js';
import { heapProfileSignature } from './signatures/heapprofile.js';
import { pyinstrumentSignature } from './signatures/pyinstrument.js';
import { scaleneSignature } from './signatures/scalene.js';
import { allocSignature } from './signatures/alloc.js';
import { collapsedSignature } from './signatures/collapsed.js';
import { pprofSignature } from './pprof/signature.js';

export interface ReaderEntry extends FormatSignature {
  /** The format with its reader (the module, and what it imports, load on the first call). */
  load(): Promise<Format>;
}

const entry = (signature: FormatSignature, load: () => Promise<Format>): ReaderEntry => ({ ...signature, load });

export const readers: readonly ReaderEntry[] = [
  entry(vmprofSignature, async () => (await import('./vmprof/index.js')).vmprofFormat),
  entry(pstatsSignature, async () => (await import('./pstats/index.js')).pstatsFormat),
  entry(lprofSignature, async () => (await import('./lprof.js')).lprofFormat),
  entry(callgrindSignature, async () => (await import('./callgrind/index.js')).callgrindFormat),
  entry(perfSignature, async () => (await import('./perf/index.js')).perfFormat),
  entry(pypylogSignature, async () => (await import('./pypylog/index.js')).pypylogFormat),
  entry(jitlogSignature, async () => (await import('./jitlog/index.js')).jitlogFormat),
  entry(v8LogSignature, async () => (await import('./v8log.js')).v8LogFormat),
  entry(v8LogJsonSignature, async () => (await import('./v8log-json.js')).v8LogJsonFormat),
  entry(firefoxSignature, async () => (await import('./firefox/index.js')).firefoxFormat),
  entry(austinSignature, async () => (await import('./austin.js')).austinFormat),
  entry(speedscopeSignature, async () => (await import('./speedscope.js')).speedscopeFormat),
  entry(chromeSignature, async () => (await import('./chrome.js')).chromeFormat),
  entry(gcovSignature, async () => (await import('./gcov.js')).gcovFormat),
  entry(lcovSignature, async () => (await import('./lcov.js')).lcovFormat),
  entry(traceEventSignature, async () => (await import('./trace-event.js')).traceEventFormat),
  entry(heapProfileSignature, async () => (await import('./heapprofile.js')).heapProfileFormat),
  entry(pyinstrumentSignature, async () => (await import('./pyinstrument.js')).pyinstrumentFormat),
  entry(scaleneSignature, async () => (await import('./scalene.js')).scaleneFormat),
  entry(allocSignature, async () => (await import('./alloc.js')).allocFormat),
  entry(collapsedSignature, async () => (await import('./collapsed.js')).collapsedFormat), // lenient text: after the others
  entry(pprofSignature, async () => (await import('./pprof/index.js')).pprofFormat), // binary without magic: last
];

/** The reader for some bytes (content first, the file name's extension breaking ties), as registry.sniffFormat picks. */
export function sniffReader(head: Uint8Array, fileName?: string): ReaderEntry | undefined {
  return pickBySniff(readers, head, fileName);
}

/** The reader called `name` or reading files with that extension. */
export function readerByName(name: string): ReaderEntry | undefined {
  return byName(readers, name);
}
