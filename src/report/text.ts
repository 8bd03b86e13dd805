/**
 * Text helpers every terminal report uses: a Style (colours on or off, the
 * width to fit), safe rendering of hostile strings, display widths, middle
 * ellipsis, column fitting and path shortening.
 *
 * Pure: no process, no fs. The CLI builds the Style from the real stream
 * (terminalStyle in src/cli/style.ts); tests build one with plainStyle().
 */
import { createColors } from 'picocolors';

type Paint = (s: string) => string;

export interface Style {
  /** Columns available; reports fit every line into this. */
  width: number;
  color: boolean;
  bold: Paint;
  dim: Paint;
  red: Paint;
  yellow: Paint;
  green: Paint;
  cyan: Paint;
  /** The user's home directory, shown as ~ in paths ('' = don't abbreviate). */
  home: string;
  /** The working directory: files under it are shown relative to it ('' = don't). */
  cwd: string;
}

export function makeStyle(options: { width?: number; color?: boolean; home?: string; cwd?: string } = {}): Style {
  const color = options.color ?? false;
  const c = createColors(color);
  return {
    width: Math.max(40, Math.floor(options.width ?? 100)),
    color,
    bold: c.bold,
    dim: c.dim,
    red: c.red,
    yellow: c.yellow,
    green: c.green,
    cyan: c.cyan,
    home: options.home ?? '',
    cwd: options.cwd ?? '',
  };
}

/** Colours off, 100 columns, no home abbreviation: for tests and pipes. */
export function plainStyle(width = 100): Style {
  return makeStyle({ width, color: false });
}

// C0 controls, DEL, C1 controls, and the bidirectional overrides/isolates that
// can make a line display differently from what it contains ("Trojan Source"),
// and the Unicode line/paragraph separators some terminals break lines at.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * Makes a name or path from a profile safe to print: terminal control
 * characters become visible escapes (ESC → `\x1b`), so a hostile function name
 * can neither colour, move the cursor nor retitle the terminal.
 */
export function sanitize(text: string): string {
  return text.replace(UNSAFE, (ch) => {
    const code = ch.charCodeAt(0);
    if (ch === '\t') return '\\t';
    if (ch === '\n') return '\\n';
    if (ch === '\r') return '\\r';
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** True for code points a terminal draws two columns wide (CJK, fullwidth forms, most emoji). */
function isWide(cp: number): boolean {
  return (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0xa4cf && cp !== 0x303f) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1f64f) ||
    (cp >= 0x1f900 && cp <= 0x1f9ff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  );
}

/** Zero-width: combining marks and joiners. */
function isZeroWidth(cp: number): boolean {
  return (cp >= 0x300 && cp <= 0x36f) || cp === 0x200b || cp === 0x200c || cp === 0x200d || cp === 0xfe0f;
}

function charWidth(cp: number): number {
  return isZeroWidth(cp) ? 0 : isWide(cp) ? 2 : 1;
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

/** Columns a (sanitized) string occupies on a terminal; colour codes count as zero. */
export function displayWidth(text: string): number {
  const plain = text.includes('\u001b') ? text.replace(ANSI, '') : text;
  let width = 0;
  for (const ch of plain) width += charWidth(ch.codePointAt(0)!);
  return width;
}

/** The longest prefix of `text` (a plain string) that fits in `width` columns. */
function headToWidth(chars: string[], width: number): string {
  let w = 0;
  let i = 0;
  for (; i < chars.length; i++) {
    const cw = charWidth(chars[i].codePointAt(0)!);
    if (w + cw > width) break;
    w += cw;
  }
  return chars.slice(0, i).join('');
}

function tailToWidth(chars: string[], width: number): string {
  let w = 0;
  let i = chars.length;
  for (; i > 0; i--) {
    const cw = charWidth(chars[i - 1].codePointAt(0)!);
    if (w + cw > width) break;
    w += cw;
  }
  return chars.slice(i).join('');
}

/**
 * Shortens plain text to `width` columns by cutting out its middle:
 * `package.module.VeryLongClass.method` → `package.mod…lass.method`. Both ends
 * of a Python name (module and function) are what the reader looks for.
 * `tailShare` is how much of the room goes to the end (0.5 = middle).
 */
export function ellipsize(text: string, width: number, tailShare = 0.5): string {
  if (displayWidth(text) <= width) return text;
  if (width <= 0) return '';
  if (width === 1) return '…';
  const chars = Array.from(text);
  const room = width - 1;
  const tailWidth = Math.min(room, Math.max(0, Math.round(room * tailShare)));
  const head = headToWidth(chars, room - tailWidth);
  const tail = tailToWidth(chars, room - displayWidth(head));
  return `${head}…${tail}`;
}

/**
 * Shortens a path (optionally ending in `:line`) to `width` columns, cutting
 * whole directories out of the middle so the file name stays readable:
 * `site-packages/numpy/core/numeric.py:120` → `site-pa…/core/numeric.py:120`.
 */
export function ellipsizePath(path: string, width: number): string {
  if (displayWidth(path) <= width) return path;
  // Separator positions, latest first: keep the longest tail starting at one that fits.
  let tailStart = -1;
  for (let i = path.length - 1; i > 0; i--) {
    if (path[i] !== '/' && path[i] !== '\\') continue;
    if (displayWidth(path.slice(i)) + 1 > width) break;
    tailStart = i;
  }
  if (tailStart < 0) return ellipsize(path, width, 0.7);
  const tail = path.slice(tailStart);
  const left = width - 1 - displayWidth(tail);
  // A few characters of the head help ("site-pa…"); fewer than 4 are noise.
  const head = left >= 4 ? headToWidth(Array.from(path), left) : '';
  return `${head}…${tail}`;
}

export function padEnd(text: string, width: number): string {
  const w = displayWidth(text);
  return w >= width ? text : text + ' '.repeat(width - w);
}

export function padStart(text: string, width: number): string {
  const w = displayWidth(text);
  return w >= width ? text : ' '.repeat(width - w) + text;
}

/**
 * Splits `room` columns between a name and a location column. The name comes
 * first: it keeps its full width while the location still gets `locationMin`;
 * when both are long, the name gets about 60%.
 * Returns [nameWidth, locationWidth]; locationWidth 0 means "drop the column".
 */
export function splitNameLocation(
  nameNatural: number,
  locationNatural: number,
  room: number,
  nameMin = 16,
  locationMin = 12,
): [number, number] {
  if (locationNatural <= 0) return [Math.min(nameNatural, room), 0];
  if (nameNatural + locationNatural <= room) return [nameNatural, locationNatural];
  if (room < Math.min(nameNatural, nameMin) + Math.min(locationNatural, locationMin)) return [Math.min(nameNatural, room), 0];
  let name = Math.min(nameNatural, Math.max(room - locationNatural, Math.ceil(room * 0.6)));
  name = Math.max(name, Math.min(nameNatural, nameMin));
  let location = Math.min(locationNatural, room - name);
  if (location < Math.min(locationNatural, locationMin)) {
    location = Math.min(locationNatural, locationMin);
    name = room - location;
  }
  return [name, location];
}

/** Joins parts with `separator`, starting a new line where the next part would overflow `width`. */
export function wrapParts(parts: string[], separator: string, width: number): string {
  const lines: string[] = [];
  let line = '';
  for (const part of parts) {
    if (line === '') line = part;
    else if (displayWidth(line) + displayWidth(separator) + displayWidth(part) <= width) line += separator + part;
    else {
      lines.push(line);
      line = part;
    }
  }
  if (line !== '') lines.push(line);
  return lines.join('\n');
}

function isAbsolute(path: string): boolean {
  return path.startsWith('/') || /^[A-Za-z]:[\\/]/.test(path) || path.startsWith('\\\\');
}

/** Splits a path into directory components; keeps the separator it used. */
function components(path: string): string[] {
  return path.split(/[\\/]/);
}

/**
 * The directory every absolute path shares (ending with its separator), or ''
 * when they share nothing useful (only the root, or fewer than two paths
 * outside the home directory's parent).
 */
export function commonDirectory(paths: Iterable<string>): string {
  let common: string[] | null = null;
  let sep = '/';
  for (const p of paths) {
    if (!isAbsolute(p)) continue;
    const parts = components(p);
    parts.pop(); // the file name
    if (common === null) {
      common = parts;
      sep = p.includes('\\') && !p.includes('/') ? '\\' : '/';
      continue;
    }
    let i = 0;
    while (i < common.length && i < parts.length && common[i] === parts[i]) i++;
    common.length = i;
    if (i === 0) break;
  }
  if (common === null) return '';
  // ['', 'usr'] for "/usr/..." — the root alone is no abbreviation.
  const meaningful = common.filter((c) => c !== '').length;
  if (meaningful === 0 || (meaningful === 1 && /^[A-Za-z]:$/.test(common[0]))) return '';
  return common.join(sep) + sep;
}

/** `~/...` for paths under the home directory. */
export function tildePath(path: string, home: string): string {
  if (!home) return path;
  const h = home.endsWith('/') || home.endsWith('\\') ? home.slice(0, -1) : home;
  if (path === h) return '~';
  if (path.startsWith(h + '/') || path.startsWith(h + '\\')) return `~${path.slice(h.length)}`;
  return path;
}

/**
 * Shortens file paths for display: relative to `common` (from
 * commonDirectory) when under it, else relative to the working directory
 * when under it, else with ~ for the home directory.
 */
export function shortenPath(path: string, common: string, home: string, cwd = ''): string {
  if (common && path.startsWith(common) && path.length > common.length) return path.slice(common.length);
  if (cwd) {
    const c = cwd.endsWith('/') || cwd.endsWith('\\') ? cwd : `${cwd}/`;
    if (path.startsWith(c) && path.length > c.length) return path.slice(c.length);
  }
  return tildePath(path, home);
}

/**
 * 1234567 → "1,234,567"; fractions keep up to `digits` decimals. The same text as
 * `toLocaleString('en-US', { maximumFractionDigits: digits })`, which rounds the shortest decimal
 * form half away from zero; written out because Intl's first use costs 15-25 ms of every
 * command's start-up (ICU) and each call builds a formatter. Rare forms go to Intl.
 */
export function formatNumber(n: number, digits = 0): string {
  if (!Number.isFinite(n)) return String(n);
  const decimal = String(n);
  if (n < 0 || Object.is(n, -0) || decimal.includes('e') || !Number.isInteger(digits) || digits < 0 || digits > 20) {
    return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
  }
  const point = decimal.indexOf('.');
  let whole = point < 0 ? decimal : decimal.slice(0, point);
  let fraction = point < 0 ? '' : decimal.slice(point + 1);
  if (fraction.length > digits) {
    const up = fraction.charCodeAt(digits) >= 53; // the first dropped digit is 5 or more
    fraction = fraction.slice(0, digits);
    if (up) [whole, fraction] = incrementDecimal(whole, fraction);
  }
  fraction = fraction.replace(/0+$/, '');
  const grouped = whole.replace(/\B(?=(\d{3})+$)/g, ',');
  return fraction === '' ? grouped : `${grouped}.${fraction}`;
}

/** ("9", "99") → ("10", "00"): adds one unit of the last place of whole.fraction. */
function incrementDecimal(whole: string, fraction: string): [string, string] {
  const digits = (whole + fraction).split('');
  let i = digits.length - 1;
  while (i >= 0 && digits[i] === '9') digits[i--] = '0';
  if (i >= 0) digits[i] = String(Number(digits[i]) + 1);
  else digits.unshift('1');
  const wholeLength = digits.length - fraction.length;
  return [digits.slice(0, wholeLength).join(''), digits.slice(wholeLength).join('')];
}

export function formatPercent(part: number, whole: number): string {
  if (whole <= 0) return '0.0%';
  const p = (100 * part) / whole;
  // Something, however little, is not nothing: 1 sample in 50,000 shows as <0.1%, not 0.0%.
  if (p > 0 && p < 0.05) return '<0.1%';
  return `${p >= 99.95 ? p.toFixed(0) : p.toFixed(1)}%`;
}

/** Human duration from ms: "850 µs", "12.3 ms", "4.56 s", "3 min 12 s", "1 h 02 min". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  if (ms < 1) return `${Math.round(ms * 1000)} µs`;
  if (ms < 1000) return `${ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s < 10 ? s.toFixed(2) : s.toFixed(1)} s`;
  const totalSeconds = Math.round(s);
  const minutes = Math.floor(totalSeconds / 60);
  if (minutes < 60) return `${minutes} min ${String(totalSeconds % 60).padStart(2, '0')} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

/** Human size from KiB: "512 KiB", "12.3 MiB", "1.20 GiB". */
export function formatKiB(kib: number): string {
  if (kib < 1024) return `${Math.round(kib)} KiB`;
  const mib = kib / 1024;
  if (mib < 1024) return `${mib < 100 ? mib.toFixed(1) : Math.round(mib)} MiB`;
  return `${(mib / 1024).toFixed(2)} GiB`;
}

/** Colours a percentage by heat: red from 20%, yellow from 5%. */
export function heat(style: Style, text: string, percent: number): string {
  if (!style.color) return text;
  if (percent >= 20) return style.red(style.bold(text));
  if (percent >= 5) return style.yellow(text);
  return text;
}
