import { test } from 'node:test';
import assert from 'node:assert/strict';
import { colorEnabled, loadProgress, PROGRESS_MIN_BYTES, streamWidth, terminalStyle } from '../../src/cli/terminal.js';

test('colour: a terminal only, NO_COLOR wins, FORCE_COLOR forces, CI alone does not', () => {
  const tty = { isTTY: true, columns: 120 };
  const pipe = { isTTY: false };
  assert.equal(colorEnabled(tty, {}), true);
  assert.equal(colorEnabled(pipe, {}), false);
  assert.equal(colorEnabled(pipe, { CI: 'true' }), false, 'a CI log is not a terminal');
  assert.equal(colorEnabled(tty, { TERM: 'dumb' }), false);
  assert.equal(colorEnabled(tty, { NO_COLOR: '1' }), false);
  assert.equal(colorEnabled(tty, { NO_COLOR: '' }), true, 'an empty NO_COLOR is not set (no-color.org)');
  assert.equal(colorEnabled(pipe, { FORCE_COLOR: '1' }), true);
  assert.equal(colorEnabled(pipe, { FORCE_COLOR: '0' }), false);
  assert.equal(colorEnabled(tty, { FORCE_COLOR: 'false' }), false);
  assert.equal(colorEnabled(pipe, { FORCE_COLOR: '1', NO_COLOR: '1' }), false);
});

test('width: the terminal, else COLUMNS, else 100', () => {
  assert.equal(streamWidth({ isTTY: true, columns: 132 }, {}), 132);
  assert.equal(streamWidth({ isTTY: false }, { COLUMNS: '72' }), 72);
  assert.equal(streamWidth({ isTTY: false }, { COLUMNS: 'wide' }), 100);
  assert.equal(streamWidth({ isTTY: false }, {}), 100);
  assert.equal(terminalStyle({ isTTY: true, columns: 90 }).width, 90);
});

function fakeStream(isTTY: boolean) {
  const written: string[] = [];
  const stream = {
    isTTY,
    columns: 80,
    rows: 24,
    write(chunk: string) {
      written.push(String(chunk));
      return true;
    },
    on() {
      return stream;
    },
    removeListener() {
      return stream;
    },
  };
  return { stream: stream as unknown as NodeJS.WriteStream, written };
}

test('progress bar: drawn on a terminal for big files, cleared at the end; silent otherwise', () => {
  const big = PROGRESS_MIN_BYTES * 2;
  const { stream, written } = fakeStream(true);
  const bar = loadProgress('loading huge.prof', big, stream);
  bar.update(big / 2, big);
  bar.update(big, big);
  bar.stop();
  const text = written.join('');
  assert.match(text, /loading huge\.prof \[/);
  assert.match(text, /\d+% \d+\/40 MiB/);

  const small = fakeStream(true);
  const none = loadProgress('x', PROGRESS_MIN_BYTES - 1, small.stream);
  none.update(1, 2);
  none.stop();
  assert.deepEqual(small.written, [], 'small files load too fast to need a bar');

  const pipe = fakeStream(false);
  const quiet = loadProgress('x', big, pipe.stream);
  quiet.update(big, big);
  quiet.stop();
  assert.deepEqual(pipe.written, [], 'never into a pipe or a log');
});
