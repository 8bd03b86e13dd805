/**
 * Importing this module registers every format. One line per format module;
 * the order is the sniffing priority (most specific signatures first).
 */
import { registerFormat } from './registry.js';
import { vmprofFormat } from './vmprof/index.js';
import { pstatsFormat } from './pstats/index.js';
import { callgrindFormat } from './callgrind/index.js';
import { perfFormat } from './perf/index.js';
import { pypylogFormat } from './pypylog/index.js';
import { jitlogFormat } from './jitlog/index.js';
import { firefoxFormat } from './firefox/index.js';
import { dotFormat } from './dot/index.js';
import { flameSvgFormat } from './flamegraph-svg/index.js';
import { austinFormat } from './austin.js';
import { speedscopeFormat } from './speedscope.js';
import { chromeFormat } from './chrome.js';
import { traceEventFormat } from './trace-event.js';
import { heapProfileFormat } from './heapprofile.js';
import { pyinstrumentFormat } from './pyinstrument.js';
import { lprofFormat } from './lprof.js';
import { scaleneFormat } from './scalene.js';
import { collapsedFormat } from './collapsed.js';
import { pprofFormat } from './pprof/index.js';
import { gcovFormat } from './gcov.js';
import { v8LogFormat } from './v8log.js';
import { v8LogJsonFormat } from './v8log-json.js';
import { lcovFormat } from './lcov.js';
import { allocFormat } from './alloc.js';

registerFormat(vmprofFormat);
registerFormat(pstatsFormat);
registerFormat(lprofFormat);
registerFormat(callgrindFormat);
registerFormat(perfFormat);
registerFormat(pypylogFormat);
registerFormat(jitlogFormat);
registerFormat(v8LogFormat);
registerFormat(v8LogJsonFormat);
registerFormat(firefoxFormat);
registerFormat(dotFormat);
registerFormat(flameSvgFormat);
registerFormat(austinFormat);
registerFormat(speedscopeFormat);
registerFormat(chromeFormat);
registerFormat(gcovFormat);
registerFormat(lcovFormat);
registerFormat(traceEventFormat);
registerFormat(heapProfileFormat);
registerFormat(pyinstrumentFormat);
registerFormat(scaleneFormat);
registerFormat(allocFormat);
registerFormat(collapsedFormat); // lenient text: after every text format with a signature
registerFormat(pprofFormat); // binary without magic: last

export * from './registry.js';
