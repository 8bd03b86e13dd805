/**
 * Sample times of VMProf files that record none (versions before 7, and PyPy's _vmprof):
 * the reader puts sample i (counting every thread, in file order) at i x period, which is
 * an order, not a time: a CPU-time sampler that missed ticks, or a program that waited,
 * covers its run in a different span (vmprof-python's 3-thread example: 27 s of "periods"
 * in a 2.1 s run). When the file has its start and stop times, the samples are spread
 * evenly over that duration instead, every thread on the one clock (their file order is
 * their time order), and the RSS counter with them; `meta.sampleTimes` says which it is.
 */
import type { Profile } from '../../model/profile.js';

/** Spreads the untimed samples of a VMProf profile over its recorded duration, in place; returns it. */
export function spreadUntimedSamples(profile: Profile): Profile {
  const { meta } = profile;
  if (meta.sampleTimes !== 'order') return profile;
  const period = meta.interval;
  const duration = meta.endTime - meta.startTime;
  let count = 0;
  for (const t of profile.threads) count += t.samples.length;
  if (!(period > 0) || !(meta.startTime > 0) || !(duration > 0) || count === 0) return profile;
  // sample i is at i * period now: at i * (duration / count) it is in the same place of the run
  const scale = duration / (count * period);
  const scaleColumn = (time: Float64Array): void => {
    for (let i = 0; i < time.length; i++) time[i] *= scale;
  };
  for (const t of profile.threads) scaleColumn(t.samples.time);
  for (const c of profile.counters) if (c.category === 'memory') scaleColumn(c.time);
  meta.sampleTimes = 'spread';
  return profile;
}
