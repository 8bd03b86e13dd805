/** Python thread names (`threading` names) read from the process: not yet implemented. */
import type { PythonReader } from './python.js';

export function threadNames(_reader: PythonReader): Map<number, string> {
  return new Map();
}
