// The package types only its bundler entry (index.js); machine-symbols.ts uses the glue module under it.
declare module 'gecko-profiler-demangle/index_bg.js' {
  export function demangle_any(name: string): string;
  export function __wbg_set_wasm(exports: WebAssembly.Exports): void;
}
