/**
 * Inputs built to make a reader slow or crash it: long runs of blanks between
 * the tokens a line regex wants (what made the perf header regex quadratic),
 * line separators where `.` stops, unclosed brackets and strings, deep
 * nesting, deep stacks, long lines. Each is ~`size` bytes.
 */
export function hostileInputs(size: number): [name: string, text: string][] {
  const blanks = (c: string) => c.repeat(size);
  return [
    ['a word then blanks', `x${blanks(' ')}\n`],
    ['blanks then a sample count', `x${blanks(' ')}1\n`],
    ['comment, tabs, separator, colon', `#${blanks('\t')}\u2028:\n`],
    ['key colon tabs separator', `A:${blanks('\t')}\u2028\n`],
    ['py-spy frame with no closing paren', ` (${blanks('.')} \n`],
    ['tab-paren pairs', `${'\t('.repeat(size / 2)}\t\n`],
    ['perf frame lines around tabs', `x 1 1.0: cycles:\n0\n${blanks('\t')}\u2028\n0\n`],
    ['perf header lookalikes', `${'a 1 '.repeat(size / 4)}\n`],
    ['colons', `${blanks(':')}\n`],
    ['digits and colons', `${'1:'.repeat(size / 2)}\n`],
    ['semicolons (a deep stack)', `${'a;'.repeat(size / 2)}a 1\n`],
    ['austin sample with a deep stack', `P1;T1;${'f (a.py);L1;'.repeat(size / 12)} 1\n`],
    ['gcov lookalike of blanks', `${blanks(' ')}:${blanks(' ')}\n`],
    ['lcov records', `SF:${blanks('a')}\n${'DA:1,1\n'.repeat(size / 7)}`],
    ['callgrind names', `events: Ir\n${'fn=(1)\n'.repeat(size / 7)}`],
    ['pypylog section', `[1a] {${blanks('x')}\n`],
    ['unclosed JSON arrays', blanks('[')],
    ['unclosed JSON objects', '{"a":'.repeat(size / 5)],
    ['an unclosed JSON string', `{"traceEvents":["${blanks('a')}`],
    [
      'JSON with a deep stack',
      `{"nodes":[${Array.from({ length: 2000 }, (_, i) => `{"id":${i + 1},"callFrame":{"functionName":"f","url":"a.js","lineNumber":1},"children":[${i + 2}]}`).join(',')}],"samples":[2000],"timeDeltas":[1],"startTime":0,"endTime":1}`,
    ],
    ['one long line of digits', blanks('7')],
    ['NULs', blanks('\0')],
    ['CR only line ends', `${'a;b 1\r'.repeat(size / 6)}`],
  ];
}
