/**
 * The perf script header parser as it used to be: one regex (quadratic on some lines) and the
 * object it built. Kept only as the oracle the hand-written parser must agree with
 * (test/formats/perf.test.ts) and the baseline bench:perf-header times it against.
 */
export const OLD_HEADER = /^(\S.*?)\s+(-?\d+)(?:\/(-?\d+))?\s+(?:\[(\d+)\]\s+)?(\d+\.\d+):\s*(?:(\d+)\s+)?([^\s:]+)(\S*)\s*(.*)$/;

export function oldParsePerfHeader(line: string) {
  const m = OLD_HEADER.exec(line);
  if (!m) return null;
  return {
    comm: m[1],
    pid: m[2],
    tid: m[3] ?? m[2],
    cpu: m[4] !== undefined ? Number(m[4]) : null,
    seconds: Number(m[5]),
    secondsText: m[5],
    period: m[6] !== undefined ? Number(m[6]) : null,
    event: m[7],
    rest: m[9],
  };
}
