/**
 * Native symbols from the libraries on this machine (Node only): the ReadOptions.nativeSymbols
 * the loader passes when a profile was recorded here. ELF symbol tables (elf.ts); C++ and Rust
 * names demangled by gecko-profiler-demangle, the Firefox Profiler's demangler (WebAssembly),
 * compiled on the first name that needs it, so only profiles with native symbols pay for it.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as demangler from 'gecko-profiler-demangle/index_bg.js';
import { NotElfError, readElfFunctionSymbols } from './elf.js';
import type { NativeSymbolSource, NativeSymbolTable } from './native-symbols.js';

let demanglerReady = false;

function demangle(symbol: string): string {
  // Itanium (_Z…) and Rust (_R…) manglings; anything else is already a plain name.
  if (!symbol.startsWith('_Z') && !symbol.startsWith('_R')) return symbol;
  if (!demanglerReady) {
    // The package's own entry imports the .wasm as an ES module, which Node does not do: instantiate it here.
    const wasmPath = createRequire(import.meta.url).resolve('gecko-profiler-demangle/index_bg.wasm');
    const instance = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(wasmPath)), { './index_bg.js': demangler });
    demangler.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as (() => void) | undefined)?.();
    demanglerReady = true;
  }
  return demangler.demangle_any(symbol);
}

function read(path: string): NativeSymbolTable | Error {
  try {
    return readElfFunctionSymbols(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return new Error('not on this machine');
    if (e instanceof NotElfError) return new Error(e.message.slice(path.length + 2));
    return new Error(code ?? (e as Error).message);
  }
}

export const machineSymbols: NativeSymbolSource = { read, displayName: demangle };
