/** Shared statistics for the benches: medians and seeded bootstrap intervals of them. */
import { prng } from '../test/helpers.js';

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/**
 * A 90% bootstrap interval for the median of `xs` (rounds resampled with replacement). This
 * machine moves a few percent between runs; the interval says how far a median is from telling
 * 1% from 3%. Seeded, so the same data always gives the same interval.
 */
export function medianInterval(xs: readonly number[], resamples = 4000): [number, number] {
  const random = prng(0x9e3779b9);
  const medians = new Float64Array(resamples);
  const sample = new Array<number>(xs.length);
  for (let i = 0; i < resamples; i++) {
    for (let k = 0; k < xs.length; k++) sample[k] = xs[Math.floor(random() * xs.length)];
    medians[i] = median(sample);
  }
  medians.sort();
  return [medians[Math.floor(resamples * 0.05)], medians[Math.ceil(resamples * 0.95) - 1]];
}
