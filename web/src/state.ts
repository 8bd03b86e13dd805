/**
 * The viewer's state that a link must reproduce, and its encoding in the URL
 * hash (`#v=flame&t=0,2&r=120.5-900&tf=focus:12~merge:3&s=parse&f=7`).
 * Pure: unit-tested in test/web/state.test.ts.
 */

/** A view's name as the registry (registry.ts) lists it; the URL's `v=`. */
export type ViewName = string;

import { decodeTransforms, encodeTransforms, type ViewTransform } from '../../src/model/view-transforms.js';

export type { ViewTransform };

export interface ViewState {
  /** Which loaded profile (index in the list). */
  profile: number;
  view: ViewName;
  /** Selected thread indices; empty means all threads merged. */
  threads: number[];
  /** Selected time range in ms, or null for the whole profile. */
  range: [number, number] | null;
  transforms: ViewTransform[];
  search: string;
  regex: boolean;
  /** Selected function (index in the profile's function table), -1 for none. */
  func: number;
  inverted: boolean;
  icicle: boolean;
  /** Zoomed window of the flame graph (weight units) or stack chart (ms); null when not zoomed. */
  zoom: [number, number] | null;
  hideIdle: boolean;
  colorBy: 'kind' | 'module' | 'time';
  theme: 'light' | 'dark';
  /** Compare view: the "before" profile's index (the current profile is "after"); -1 when not comparing. */
  compare: number;
  /** Compare view: share of each total, or absolute time. */
  diffNorm: 'share' | 'time';
  /** Compare view: whose shape the differential flame graph draws. */
  diffShow: 'after' | 'before';
  /** JIT traces view: the selected trace's id, -1 for none. */
  trace: number;
  /** A source line to show (source view) or whose operations to mark (traces view); 0 for none. */
  line: number;
}

export function defaultState(): ViewState {
  return {
    profile: 0,
    view: 'flame',
    threads: [],
    range: null,
    transforms: [],
    search: '',
    regex: false,
    func: -1,
    inverted: false,
    icicle: false,
    zoom: null,
    // Idle (sleeping, waiting) samples are hidden unless asked for: a --wall recording is mostly idle.
    hideIdle: true,
    colorBy: 'kind',
    theme: 'light',
    compare: -1,
    diffNorm: 'share',
    diffShow: 'after',
    trace: -1,
    line: 0,
  };
}

/** Encodes only what differs from the defaults, so plain links stay short. */
export function encodeState(state: ViewState): string {
  const d = defaultState();
  const p = new URLSearchParams();
  if (state.profile !== d.profile) p.set('p', String(state.profile));
  if (state.view !== d.view) p.set('v', state.view);
  if (state.threads.length > 0) p.set('t', state.threads.join(','));
  if (state.range) p.set('r', `${round(state.range[0])}_${round(state.range[1])}`);
  if (state.transforms.length > 0) p.set('tf', encodeTransforms(state.transforms));
  if (state.search) p.set('s', state.search);
  if (state.regex) p.set('re', '1');
  if (state.func >= 0) p.set('f', String(state.func));
  if (state.inverted) p.set('inv', '1');
  if (state.icicle) p.set('ici', '1');
  if (state.zoom) p.set('z', `${round(state.zoom[0])}_${round(state.zoom[1])}`);
  if (!state.hideIdle) p.set('idle', '1');
  if (state.colorBy !== d.colorBy) p.set('c', state.colorBy);
  if (state.theme !== d.theme) p.set('th', state.theme);
  if (state.compare >= 0) p.set('cmp', String(state.compare));
  if (state.diffNorm !== d.diffNorm) p.set('dn', state.diffNorm);
  if (state.diffShow !== d.diffShow) p.set('ds', state.diffShow);
  if (state.trace >= 0) p.set('tr', String(state.trace));
  if (state.line > 0) p.set('ln', String(state.line));
  return p.toString();
}

function round(n: number): string {
  return String(Math.round(n * 1000) / 1000);
}

function decodeSpan(s: string | null): [number, number] | null {
  const m = s ? /^(-?[\d.]+)_(-?[\d.]+)$/.exec(s) : null;
  if (!m) return null;
  const a = Number(m[1]);
  const b = Number(m[2]);
  return Number.isFinite(a) && Number.isFinite(b) && b > a ? [a, b] : null;
}

function nonNegativeInt(s: string | null): number | null {
  if (s === null || !/^\d{1,9}$/.test(s)) return null;
  return Number(s);
}

/**
 * Decodes a hash (with or without '#'); anything malformed falls back to its
 * default. `views`: the view names the viewer has (any lower-case name when absent).
 */
export function decodeState(hash: string, views?: readonly string[]): ViewState {
  const state = defaultState();
  const p = new URLSearchParams(hash.replace(/^#/, ''));
  const profile = nonNegativeInt(p.get('p'));
  if (profile !== null) state.profile = profile;
  const view = p.get('v');
  if (view && /^[a-z]{1,20}$/.test(view) && (!views || views.includes(view))) state.view = view;
  const threads = p.get('t');
  if (threads) {
    state.threads = threads
      .split(',')
      .map((s) => nonNegativeInt(s))
      .filter((n): n is number => n !== null);
  }
  state.range = decodeSpan(p.get('r'));
  state.zoom = decodeSpan(p.get('z'));
  const tf = p.get('tf');
  if (tf) state.transforms = decodeTransforms(tf).transforms;
  state.search = p.get('s') ?? '';
  state.regex = p.get('re') === '1';
  const func = nonNegativeInt(p.get('f'));
  if (func !== null) state.func = func;
  state.inverted = p.get('inv') === '1';
  state.icicle = p.get('ici') === '1';
  state.hideIdle = p.get('idle') !== '1';
  const color = p.get('c');
  if (color === 'module' || color === 'kind' || color === 'time') state.colorBy = color;
  const theme = p.get('th');
  if (theme === 'dark' || theme === 'light') state.theme = theme;
  const compare = nonNegativeInt(p.get('cmp'));
  if (compare !== null) state.compare = compare;
  if (p.get('dn') === 'time') state.diffNorm = 'time';
  const trace = nonNegativeInt(p.get('tr'));
  if (trace !== null) state.trace = trace;
  const line = nonNegativeInt(p.get('ln'));
  if (line !== null) state.line = line;
  if (p.get('ds') === 'before') state.diffShow = 'before';
  return state;
}
