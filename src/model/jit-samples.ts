/**
 * Where PyPy's JIT code was running when a sample was taken: the machine-code
 * address of each sample whose stack had a VMProf ASSEMBLER entry (PyPy writes
 * the start of the compiled loop or bridge there, from its codemap). The call
 * tree keeps one frame per Python function, so this address is what ties a
 * sample to a JIT trace of the jitlog (a trace's machine code is an address
 * range). Kept in `Profile.attachments.jitSamples`; pure data, no Node APIs.
 */
export interface JitSamples {
  /** Stack index of each such sample (into Profile.stacks). */
  stack: Int32Array;
  /** Thread index of each such sample. */
  thread: Int32Array;
  /** The sample's weight (1 per sample for PyPy's _vmprof). */
  weight: Float64Array;
  /** The machine-code address (below 2^53 on x86-64 user space). */
  address: Float64Array;
}

export function jitSamplesOf(attachments: Record<string, unknown>): JitSamples | null {
  const s = attachments.jitSamples as JitSamples | undefined;
  return s && s.address && s.address.length !== undefined ? s : null;
}
