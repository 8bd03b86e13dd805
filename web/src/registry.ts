/**
 * The viewer's views, one entry each: adding a view means adding an entry here
 * (its name is the URL's `v=`, its label the tab's text, `create` builds it once,
 * `show` is called on every render while it is the current view).
 */
import type { Profile } from '../../src/model/profile.js';
import type { CanvasArea } from './canvas-views.js';
import type { Palette } from './colors.js';
import { FlameView, StackChartView } from './canvas-views.js';
import { CompareView } from './compare-view.js';
import { AllocationView } from './alloc-view.js';
import { MemoryGrowthView } from './memory-view.js';
import { allocationProfile } from '../../src/model/allocations.js';
import { hasMemoryReadings } from '../../src/model/memory-growth.js';
import type { ViewState } from './state.js';
import { profileTraces, sourceFromJitlog, traceLines, TracesView } from './traces-view.js';
import type { ViewModel } from './viewmodel.js';
import { CallTreeView, FunctionTableView, SandwichView, SourceView, type ViewHost } from './views.js';
import { coverageCounts } from '../../src/formats/coverage.js';

/** Coverage files are recognised by name before any is read: loading every profile to look would cost the big ones. */
const COVERAGE_NAME = /\.(info|gcov|lcov)(\.gz)?$/i;

/**
 * Line execution counts for `path` from a coverage file (gcov, lcov) loaded beside the shown profile (`view
 * perf.txt cov.info`): the "profile the interpreter" workflow puts the counts next to the C profile's lines.
 */
async function coverageBeside(host: AppHost, vm: ViewModel, path: string): Promise<{ counts: Map<number, number>; from: string } | null> {
  if (vm.base.meta.flags.includes('coverage')) return null; // the shown profile is the coverage itself
  const names = host.profileNames();
  for (let i = 0; i < names.length; i++) {
    if (!COVERAGE_NAME.test(names[i])) continue;
    const profile = await host.loadProfile(i);
    if (profile === vm.base) continue;
    const counts = coverageCounts(profile, path);
    if (counts) return { counts, from: names[i] };
  }
  return null;
}

/** What the app offers its views. */
export interface AppHost extends ViewHost {
  readonly canvasArea: CanvasArea;
  /** Changes the state; `push` makes a history entry (Back returns to the state before). */
  update(patch: Partial<ViewState>, history?: 'push' | 'replace'): void;
  profileNames(): string[];
  loadProfile(index: number): Promise<Profile>;
  readSource(path: string): Promise<string>;
  placeTooltip(lines: HTMLElement[], x: number, y: number): void;
  hideTooltip(): void;
  timing(name: string, ms: number): void;
  paletteFor(): Palette | null;
  /** The current profile once loaded (null before), for views offered only for some profiles. */
  currentProfile(): Profile | null;
}

export interface View {
  readonly element: HTMLElement;
  show(vm: ViewModel, state: ViewState): void | Promise<void>;
}

export interface ViewEntry {
  name: string;
  label: string;
  /** When the tab is offered (default: always). */
  available?(host: AppHost): boolean;
  create(host: AppHost): View;
}

/** A view shown only for a loaded profile that has what it draws. */
function profileHas(host: AppHost, has: (profile: Profile) => boolean): boolean {
  const p = host.currentProfile();
  return p !== null && has(p);
}

export const VIEWS: readonly ViewEntry[] = [
  { name: 'flame', label: 'Flame graph', create: (host) => new FlameView(host) },
  { name: 'stack', label: 'Stack chart', create: (host) => new StackChartView(host) },
  { name: 'tree', label: 'Call tree', create: (host) => adapt(new CallTreeView(host), (v, vm, s) => v.show(vm, s.inverted)) },
  { name: 'functions', label: 'Functions', create: (host) => adapt(new FunctionTableView(host), (v, vm) => v.show(vm)) },
  { name: 'sandwich', label: 'Callers / callees', create: (host) => new SandwichView(host) },
  {
    name: 'source',
    label: 'Source',
    create: (host) =>
      adapt(
        new SourceView(
          // On the server there are no source files; a jitlog uploaded by the vmprof client carries the lines it traced.
          (path) =>
            host.readSource(path).catch((err: unknown) => {
              const profile = host.currentProfile();
              const text = profile ? sourceFromJitlog(profile, path) : null;
              if (text === null) throw err;
              return text;
            }),
          (trace, line) => host.update({ view: 'traces', trace, line }, 'push'),
          (vm, path) => coverageBeside(host, vm, path),
        ),
        (v, vm, s) => v.show(vm, s.func, s.line, traceLines(vm.base)),
      ),
  },
  {
    name: 'traces',
    label: 'JIT traces',
    // PyPy with a jitlog: recorded with --jitlog, a .jit beside the profile, or the server's uploaded jitlog.
    available: (host) => profileHas(host, (p) => profileTraces(p) !== null),
    create: (host) => new TracesView(host),
  },
  {
    name: 'alloc',
    label: 'Allocations',
    // recorded with --alloc: OUT.alloc beside the profile, or an .alloc file opened alone
    available: (host) => profileHas(host, (p) => allocationProfile(p) !== null),
    create: (host) => new AllocationView(host),
  },
  {
    name: 'memory',
    label: 'Memory growth',
    // recorded with --mem (RSS with the samples)
    available: (host) => profileHas(host, (p) => hasMemoryReadings(p)),
    create: (host) => new MemoryGrowthView(host),
  },
  { name: 'compare', label: 'Compare', available: (host) => host.profileNames().length > 1, create: (host) => new CompareView(host) },
];

export const VIEW_NAMES: readonly string[] = VIEWS.map((v) => v.name);

function adapt<T extends { element: HTMLElement }>(
  view: T,
  show: (view: T, vm: ViewModel, state: ViewState) => void | Promise<void>,
): View {
  return { element: view.element, show: (vm, state) => show(view, vm, state) };
}
