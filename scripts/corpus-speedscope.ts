/**
 * `npm run corpus:speedscope -- DIR`: reads every profile under DIR (a checkout
 * of speedscope's `sample/profiles/`, or any folder of profiles) with
 * pyrometer and with speedscope's own importer (the npm package, run in
 * headless Chromium: test/formats/speedscope-harness.ts), and compares the
 * totals each shows (the weight of all non-idle samples with a stack, ms for
 * time units).
 *
 * Prints one line per file and a summary: how many of the files in formats
 * pyrometer claims it read, how many both tools reject, and the largest total
 * difference. Where speedscope shows less than the file holds by design
 * (Chrome: no time for a profile's last sample; Firefox gecko: the main
 * thread's JavaScript frames only) the total is also compared on that view.
 * Totals in different units (our sample counts against speedscope's times)
 * are listed as not comparable. Files in formats pyrometer does not claim (Instruments, JFR,
 * Haskell, ...), zips and source maps are listed as skipped. Exits 1 when a
 * claimed file is not read or a total differs by more than --tolerance
 * (default 0.001 = 0.1%).
 *
 * The corpus is not in this repository (its files belong to speedscope);
 * `fetch` it, or point DIR at the team's copy.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { loadProfile } from '../src/formats/load.js';
import { SpeedscopeImporter, viewerTotal } from '../test/formats/speedscope-harness.js';
import { CATEGORY_IDLE, funcFile, type Profile } from '../src/model/profile.js';

type UnitClass = 'time' | 'samples' | 'bytes';
const unitClass = (p: Profile): UnitClass =>
  p.meta.weightUnit === 'bytes' ? 'bytes' : ['ms', 'us', 'ns'].includes(p.meta.weightUnit) ? 'time' : 'samples';

/**
 * Our total on speedscope's view of the file, where speedscope shows less by
 * design: for Chrome CPU profiles it gives each thread's last sample no time
 * (we give it the time to the profile's end); for Firefox gecko files it shows
 * only the main thread and only JavaScript frames outside Firefox itself
 * (resource:, self-hosted), so samples with no such frame count nothing, and
 * again the last sample counts nothing. null when speedscope's view is ours.
 */
function speedscopeView(p: Profile): number | null {
  if (p.meta.format === 'chrome') {
    let total = viewerTotal(p);
    const scale = 1;
    for (const t of p.threads) {
      const n = t.samples.length;
      const s = n > 0 ? t.samples.stack[n - 1] : -1;
      if (s >= 0 && p.frames.category[p.stacks.frame[s]] !== CATEGORY_IDLE) total -= t.samples.weight[n - 1] * scale;
    }
    return total;
  }
  if (p.meta.format === 'firefox' && p.meta.extra.gecko === 'true') {
    const thread = p.threads.length === 1 ? p.threads[0] : p.threads.find((t) => t.name === 'GeckoMain');
    if (!thread) return 0;
    const shown = (stack: number): boolean => {
      for (let s = stack; s >= 0; s = p.stacks.prefix[s]) {
        const file = funcFile(p, p.frames.func[p.stacks.frame[s]]);
        if (file !== '' && !file.startsWith('resource:') && file !== 'self-hosted' && !file.startsWith('self-hosted:')) return true;
      }
      return false;
    };
    let total = 0;
    for (let i = 0; i + 1 < thread.samples.length; i++) {
      const s = thread.samples.stack[i];
      if (s >= 0 && shown(s)) total += thread.samples.weight[i];
    }
    return total;
  }
  return null;
}

const args = process.argv.slice(2);
if (args.length === 0 || args.includes('--help')) {
  console.log(
    'usage: npm run corpus:speedscope -- DIR [--tolerance 0.001] [--only SUBSTRING]\n\nexample: npm run corpus:speedscope -- ~/speedscope/sample/profiles',
  );
  process.exit(args.length === 0 ? 2 : 0);
}
const dir = args[0];
const tolerance = args.includes('--tolerance') ? Number(args[args.indexOf('--tolerance') + 1]) : 0.001;
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : '';

/** Folders of speedscope's corpus in formats pyrometer does not claim. */
const UNCLAIMED_DIRS = ['Instruments', 'haskell', 'java-flight-recorder', 'papyrus', 'pmcstat', 'stackprof', 'Safari'];
const UNCLAIMED_FILES = /(^|\/)safari-[^/]*$|\.(zip|map|md|grammar)$|(^|\/)\.(DS_Store|gitignore)$/;

function walk(d: string, out: string[] = []): string[] {
  for (const name of readdirSync(d).sort()) {
    const p = join(d, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

function claimed(rel: string): boolean {
  if (UNCLAIMED_FILES.test(rel)) return false;
  return !UNCLAIMED_DIRS.some((d) => rel.split('/').includes(d));
}

const files = walk(dir).filter((f) => relative(dir, f).includes(only));
const importer = new SpeedscopeImporter();
await importer.start();
let relevant = 0;
let read = 0;
let bothReject = 0;
let skipped = 0;
let worst = 0;
let worstRaw = 0;
let compared = 0;
let incomparable = 0;
let worstFile = '';
const failures: string[] = [];
try {
  for (const file of files) {
    const rel = relative(dir, file);
    if (!claimed(rel)) {
      skipped++;
      console.log(`skip  ${rel} (a format pyrometer does not claim)`);
      continue;
    }
    relevant++;
    let ours: number | null = null;
    let view: number | null = null;
    let ourUnit: UnitClass = 'samples';
    let ourError = '';
    try {
      const profile = await loadProfile(file);
      ours = viewerTotal(profile);
      view = speedscopeView(profile);
      ourUnit = unitClass(profile);
    } catch (e) {
      ourError = (e as Error).message;
    }
    const theirs = await importer.import(basename(file), new Uint8Array(readFileSync(file)));
    const theirTotal = theirs.exported ? viewerTotal(theirs.exported) : null;
    if (ours === null) {
      if (theirTotal === null) {
        bothReject++;
        console.log(`both reject  ${rel}: ${ourError}`);
      } else {
        failures.push(rel);
        console.log(`NOT READ  ${rel}: ${ourError} (speedscope: ${theirTotal.toFixed(3)} via ${theirs.importer})`);
      }
      continue;
    }
    read++;
    if (theirTotal === null) {
      console.log(`read  ${rel}: total ${ours.toFixed(3)}; speedscope could not import it (${theirs.errors[0] ?? 'no profile'})`);
      continue;
    }
    const theirUnit = unitClass(theirs.exported!);
    if (theirUnit !== ourUnit) {
      incomparable++;
      console.log(
        `units  ${rel}: ours ${ours.toFixed(3)} (${ourUnit}), speedscope ${theirTotal.toFixed(3)} (${theirUnit}, ${theirs.importer}): not comparable`,
      );
      continue;
    }
    const rawDiff = Math.abs(ours - theirTotal) / Math.max(Math.abs(theirTotal), 1e-12);
    const diff = view === null ? rawDiff : Math.abs(view - theirTotal) / Math.max(Math.abs(theirTotal), 1e-12);
    compared++;
    if (diff > worst) {
      worst = diff;
      worstFile = rel;
    }
    if (rawDiff > worstRaw) worstRaw = rawDiff;
    if (diff > tolerance) failures.push(rel);
    const viewNote = view === null ? '' : `; on speedscope's view ${view.toFixed(3)} (${(diff * 100).toFixed(4)}%)`;
    console.log(
      `${diff > tolerance ? 'DIFF' : 'ok  '}  ${rel}: total ${ours.toFixed(3)}, speedscope ${theirTotal.toFixed(3)} (${(rawDiff * 100).toFixed(4)}%${viewNote}, ${theirs.importer})`,
    );
  }
} finally {
  await importer.stop();
}
console.log(
  `\n${read + bothReject} of ${relevant} files in claimed formats handled: ${read} read, ${bothReject} rejected by both tools; ${skipped} skipped (unclaimed formats)`,
);
console.log(
  `${compared} compared with speedscope's totals, ${incomparable} in other units than speedscope's (e.g. sample counts against its times)`,
);
console.log(
  `largest total difference against speedscope: ${(worst * 100).toFixed(4)}%${worstFile ? ` (${worstFile})` : ''} (on speedscope's view where it shows less by design); ${(worstRaw * 100).toFixed(4)}% before that`,
);
if (failures.length > 0) {
  console.log(`problems (${failures.length}): ${failures.join(', ')}`);
  process.exit(1);
}
