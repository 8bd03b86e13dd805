/**
 * Importing this module registers every format. One line per format module;
 * the order is the sniffing priority (most specific signatures first).
 */
import { registerFormat } from './registry.js';
import { vmprofFormat } from './vmprof/index.js';
import { pstatsFormat } from './pstats/index.js';
import { callgrindFormat } from './callgrind/index.js';
import { firefoxFormat } from './firefox/index.js';
import { dotFormat } from './dot/index.js';

registerFormat(vmprofFormat);
registerFormat(pstatsFormat);
registerFormat(callgrindFormat);
registerFormat(firefoxFormat);
registerFormat(dotFormat);

export * from './registry.js';
