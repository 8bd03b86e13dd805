/**
 * Importing this module registers every format. One line per format module;
 * the order is the sniffing priority (most specific signatures first).
 */
import { registerFormat } from './registry.js';
import { vmprofFormat } from './vmprof/index.js';

registerFormat(vmprofFormat);

export * from './registry.js';
