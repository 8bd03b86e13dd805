/**
 * Allocation samples (`record --alloc`): a profile whose samples are moments the program
 * allocated, not moments of time. Its samples' weights are what each stands for in the unit
 * the recording measured (objects on CPython, bytes on PyPy); `attachments.allocations` holds,
 * per thread and parallel to its samples, both measures and the sampled object's type:
 *
 *   objects[t][i]  container objects sample i stands for (0 when the source cannot count them)
 *   bytes[t][i]    bytes it stands for (an estimate on CPython: objects × the sampled object's size)
 *   type[t][i]     StringIndex of the sampled object's type name, -1 when unknown
 *
 * A time profile recorded with `--alloc` carries its allocation profile as
 * `attachments.allocations` of its own (the side file OUT.alloc, attached on load).
 * Pure functions of the model: the CLI and the viewer share them.
 */
import type { Profile, StringIndex } from './profile.js';

export type AllocationMeasure = 'objects' | 'bytes';

export interface AllocationColumns {
  /** What took the samples, e.g. "gc.callbacks" (CPython) or "gc.hooks.on_gc_minor" (PyPy). */
  source: string;
  /** The measure the recording counted directly; the other is estimated or absent. */
  unit: AllocationMeasure;
  objects: Float64Array[];
  bytes: Float64Array[];
  type: Int32Array[];
}

export const ALLOCATION_FORMAT = 'pyrometer-alloc';

/** The allocation columns of an allocation profile, or null for any other profile. */
export function allocationColumns(profile: Profile): AllocationColumns | null {
  if (profile.meta.format !== ALLOCATION_FORMAT) return null;
  const a = profile.attachments.allocations as AllocationColumns | undefined;
  return a && Array.isArray(a.objects) && Array.isArray(a.bytes) ? a : null;
}

/** The allocation profile a profile is or carries (`record --alloc`), or null. */
export function allocationProfile(profile: Profile): Profile | null {
  if (allocationColumns(profile)) return profile;
  const nested = profile.attachments.allocationProfile as Profile | undefined;
  return nested && allocationColumns(nested) ? nested : null;
}

/** The measures an allocation profile has: a source that cannot count objects has bytes only. */
export function allocationMeasures(profile: Profile): AllocationMeasure[] {
  const a = allocationColumns(profile);
  if (!a) return [];
  const has = (cols: Float64Array[]) => cols.some((c) => c.some((v) => v > 0));
  return (['objects', 'bytes'] as const).filter((m) => has(a[m]));
}

/** The same allocation profile with each sample weighted by `measure` (objects or bytes). */
export function weighByAllocation(profile: Profile, measure: AllocationMeasure): Profile {
  const a = allocationColumns(profile);
  if (!a) throw new Error('not an allocation profile');
  return {
    ...profile,
    meta: { ...profile.meta, weightUnit: measure === 'bytes' ? 'bytes' : 'events' },
    threads: profile.threads.map((t, i) => ({ ...t, samples: { ...t.samples, weight: a[measure][i] } })),
  };
}

export interface AllocatedType {
  name: string;
  objects: number;
  bytes: number;
}

/**
 * Allocations by the sampled object's type, largest `measure` first (samples of unknown type
 * under ''), over the chosen threads (all when none) and time range [start, end) in ms.
 */
export function allocationsByType(
  profile: Profile,
  measure: AllocationMeasure,
  threads?: number[],
  range?: [number, number],
): AllocatedType[] {
  const a = allocationColumns(profile);
  if (!a) return [];
  const byType = new Map<StringIndex, AllocatedType>();
  const chosen = threads && threads.length > 0 ? threads : profile.threads.map((_, i) => i);
  for (const t of chosen) {
    const types = a.type[t];
    if (!types) continue;
    const time = profile.threads[t].samples.time;
    for (let i = 0; i < types.length; i++) {
      if (range && (time[i] < range[0] || time[i] >= range[1])) continue;
      let row = byType.get(types[i]);
      if (!row) byType.set(types[i], (row = { name: types[i] < 0 ? '' : profile.strings[types[i]], objects: 0, bytes: 0 }));
      row.objects += a.objects[t][i];
      row.bytes += a.bytes[t][i];
    }
  }
  return [...byType.values()].sort((x, y) => y[measure] - x[measure]);
}
