/**
 * Helpers for the hand-written WebAssembly modules of the preprocess kernels (simdRange.ts,
 * simdResize.ts): binary encoding of integers, sections and names, the opcodes, locals and loop
 * framing both share, and the instantiation, with no toolchain and no binary file in the repository.
 */

export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}

export function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

/** A module: the magic number and version 1, then `sections` (each from `section`). */
export function wasmModule(...sections: number[][]): Uint8Array {
  return new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, ...sections.flat()]);
}

export function name(s: string): number[] {
  return [s.length, ...Array.from(s, (c) => c.charCodeAt(0))];
}

/** Prefix of the SIMD opcodes. */
export const SIMD = 0xfd;

/** The scalar opcodes both kernels use (each kernel lists its own SIMD ones beside these). */
export const scalarOps = {
  block: [0x02, 0x40], loop: [0x03, 0x40], end: [0x0b], br: 0x0c, brIf: 0x0d,
  localGet: 0x20, localSet: 0x21, i32Const: 0x41, i32GeU: 0x4f, i32Add: 0x6a,
};

export const get = (local: number) => [scalarOps.localGet, local];
export const set = (local: number) => [scalarOps.localSet, local];

/** `(block (loop (br_if 1 (i32.ge_u $i $end)) body… ($i += step) (br 0)))`: `body` runs while $i < $end. */
export function countedLoop(i: number, end: number, step: number, body: number[]): number[] {
  const { block, loop, end: close, br, brIf, i32Const, i32GeU, i32Add } = scalarOps;
  return [...block, ...loop, ...get(i), ...get(end), i32GeU, brIf, 1, ...body, ...get(i), i32Const, step, i32Add, ...set(i), br, 0, ...close, ...close];
}

/** A function body of the code section: its byte length, then `code` (locals, instructions, end). */
export function funcBody(code: number[]): number[] {
  return [...uleb(code.length), ...code];
}

/** The part of the WebAssembly API used here (the project's TypeScript lib has no WebAssembly types). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: unknown };
}

/** An exported WebAssembly.Memory, as the kernels use it. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

/** Room for `need` bytes in `mem`; false when it cannot grow (past the engine's or the module's maximum): the caller takes its scalar path. */
export function growTo(mem: WasmMemory, need: number): boolean {
  if (mem.buffer.byteLength >= need) return true;
  try {
    mem.grow(Math.ceil((need - mem.buffer.byteLength) / 65536));
    return true;
  } catch {
    return false;
  }
}

/** The module's exports, instantiated on the first call (once per thread), or null where WebAssembly (or its SIMD) is missing. */
export function lazyInstance<T>(bytes: () => Uint8Array): () => T | null {
  let exports: T | null | undefined;
  return () => (exports === undefined ? (exports = instantiate<T>(bytes())) : exports);
}

/** The module's exports, or null where WebAssembly (or its SIMD) is missing: callers keep their scalar loops. */
function instantiate<T>(bytes: Uint8Array): T | null {
  try {
    const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
    return new wasm.Instance(new wasm.Module(bytes)).exports as T;
  } catch {
    return null;
  }
}
