/** Option parsers and selections several commands share (--top, --thread, ...). */
import type { Command } from 'commander';
import type { Profile } from '../model/profile.js';
import { sanitize } from '../report/text.js';
import { usageError } from './errors.js';

export function positiveInteger(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0) throw usageError(`${name} takes a whole number above 0, not "${sanitize(value)}"`);
    return n;
  };
}

/** A whole number from `min` to `max`. */
export function integerIn(name: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max)
      throw usageError(`${name} takes a whole number from ${min} to ${max}, not "${sanitize(value)}"`);
    return n;
  };
}

export function percentage(name: string) {
  return (value: string): number => {
    const n = Number(value.replace(/%$/, ''));
    if (!Number.isFinite(n) || n < 0 || n > 100) throw usageError(`${name} takes a percentage from 0 to 100, not "${sanitize(value)}"`);
    return n;
  };
}

/** Collects a repeatable option whose values may also be comma-separated. */
export function collectList(value: string, previous: string[] = []): string[] {
  return previous.concat(
    value
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
}

/** Adds --thread and --hide-idle to a command. */
export function addSelectionOptions(command: Command): Command {
  return command
    .option('-t, --thread <id|name>', 'only these threads (repeat or comma-separate; default: all, merged)', collectList)
    .option('--hide-idle', 'leave out samples where the thread was idle (waiting, sleeping)');
}

/**
 * Thread indices for `--thread` values: each matches a thread id exactly,
 * else a thread name exactly, else a name case-insensitively (all threads
 * of that name). Unknown values are a usage error listing what exists.
 */
export function resolveThreads(profile: Profile, wanted: string[] | undefined): number[] | undefined {
  if (!wanted || wanted.length === 0) return undefined;
  const result = new Set<number>();
  for (const w of wanted) {
    const byId = profile.threads.findIndex((t) => t.id === w);
    if (byId >= 0) {
      result.add(byId);
      continue;
    }
    let found = false;
    profile.threads.forEach((t, i) => {
      if (t.name === w) {
        result.add(i);
        found = true;
      }
    });
    if (!found) {
      profile.threads.forEach((t, i) => {
        if (t.name.toLowerCase() === w.toLowerCase()) {
          result.add(i);
          found = true;
        }
      });
    }
    if (!found) {
      const known = profile.threads
        .map((t) => (t.name ? `${t.id} (${t.name})` : t.id))
        .slice(0, 12)
        .join(', ');
      throw usageError(`no thread "${sanitize(w)}" in this profile; it has: ${sanitize(known)}${profile.threads.length > 12 ? ', …' : ''}`);
    }
  }
  return [...result].sort((a, b) => a - b);
}
