/** Number formatting shared by the views. */

export function formatPercent(part: number, whole: number): string {
  if (whole <= 0) return '0%';
  const p = (part / whole) * 100;
  if (p >= 10 || p === 0) return `${p.toFixed(1)}%`;
  if (p >= 0.1) return `${p.toFixed(2)}%`;
  return '<0.1%';
}

export function formatCount(n: number): string {
  if (Number.isInteger(n)) return n.toLocaleString('en-US');
  return n.toLocaleString('en-US', { maximumFractionDigits: 2 });
}

/** A weight in the profile's unit: "1,234 samples", "12.5 ms", "3.2 MiB". */
export function formatWeight(n: number, unit: string): string {
  switch (unit) {
    case 'ms':
      return formatMs(n);
    case 'us':
      return formatMs(n / 1000);
    case 'ns':
      return formatMs(n / 1e6);
    case 'bytes':
      return formatBytes(n);
    case 'samples':
      return `${formatCount(n)} ${n === 1 ? 'sample' : 'samples'}`;
    default:
      return `${formatCount(n)} ${unit}`;
  }
}

export function formatMs(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toFixed(ms >= 10000 ? 1 : 2)} s`;
  if (ms >= 1) return `${ms.toFixed(ms >= 100 ? 0 : 1)} ms`;
  return `${(ms * 1000).toFixed(0)} µs`;
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (Math.abs(n) >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}
