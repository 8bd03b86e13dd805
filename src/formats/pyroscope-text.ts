/**
 * The text bodies of Pyroscope's ingest API: `folded` (`a;b;c 12` per line, the default its
 * agents send) and `lines` (`a;b;c`, one sample per line). Pure: the server's route and the
 * ClickHouse store's worker thread both read them.
 */
import type { WeightedStack } from './stream-chunk.js';
import { ProfileFormatError } from './errors.js';

export function pyroscopeTextStacks(text: string, format: 'folded' | 'lines'): WeightedStack[] {
  const stacks: WeightedStack[] = [];
  let lineNumber = 0;
  for (const raw of text.split('\n')) {
    lineNumber++;
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') continue;
    if (format === 'lines') {
      stacks.push({ stack: line, weight: 1 });
      continue;
    }
    const m = /^(.*\S)\s+(\d+(?:\.\d+)?)$/s.exec(line);
    if (!m)
      throw new ProfileFormatError(
        'pyroscope-folded',
        `expected "frame;frame;... count", found ${JSON.stringify(line.slice(0, 80))}`,
        -1,
        lineNumber,
      );
    stacks.push({ stack: m[1], weight: Number(m[2]) });
  }
  return stacks;
}
