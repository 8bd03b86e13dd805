/** What identifies the allocation samples of `record --alloc`, apart from their reader (formats/catalog.ts). */
import { ALLOCATION_FORMAT } from '../../model/allocations.js';

/** The first line's start: `pyrometer-alloc 1`. */
export const SIGNATURE = 'pyrometer-alloc ';

export const allocSignature = {
  name: ALLOCATION_FORMAT,
  description: 'allocation samples written by pyrometer record --alloc (OUT.alloc)',
  extensions: ['alloc'],
  sniff: (head: Uint8Array) => new TextDecoder().decode(head.subarray(0, SIGNATURE.length)) === SIGNATURE,
};
