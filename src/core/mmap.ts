import { constants as bufferConstants } from 'node:buffer';
import { createRequire } from 'node:module';

/**
 * Memory maps of whole files, so a reader can hand out views of the page cache instead of
 * copying every byte into a buffer (what pyarrow's `memory_map` does). Node has no mmap: this calls
 * libc's through koffi (an optional dependency shipping prebuilt binaries, loaded on first use).
 * Where it cannot map — Windows, 32-bit, musl or any libc koffi cannot load, an install without
 * optional dependencies, a file larger than an ArrayBuffer may be (4 GiB on Node 20), a failed
 * map — `mapFile` returns undefined and the caller reads with pread.
 *
 * Lifetime: a map is unmapped when its ArrayBuffer is garbage-collected (FinalizationRegistry), and
 * every view of it holds that ArrayBuffer, so no reachable view ever points at unmapped pages.
 * The descriptor may be closed at once: the map keeps the file (even unlinked) alive.
 * Hazards, as with any mmap (numpy, pyarrow): a file truncated or rewritten in place by another
 * process under the map faults the reader (SIGBUS) or changes bytes after they were checked.
 * Published shards are never rewritten in place, only replaced.
 * Private and writable (copy-on-write): reads share the page cache, and a caller that writes into a
 * view (in-place augmentation) gets its own copy of that page instead of a crash; the file never
 * changes. The price: a writable private map counts its whole length against the kernel's commit
 * limit (matters only under strict overcommit, vm.overcommit_memory=2; read with pread there).
 */

const PROT_READ_WRITE = 3;
const MAP_PRIVATE = 2;
const MAP_FAILED = 2n ** 64n - 1n; // (void *) -1 on the 64-bit platforms mapped here
const MADV_WILLNEED = 3;
const MADV_DONTNEED = 4;

interface Mapper {
  map(fd: number, length: number): Uint8Array | undefined;
  /** madvise over bytes [from, to) of a map, widened to whole pages. */
  advise(map: Uint8Array, from: number, to: number, advice: number): void;
  /** Whether the page at `at` (page-aligned) is in the page cache. */
  resident(map: Uint8Array, at: number): boolean;
  page: number;
  /** The start of the page that holds byte `at`. */
  pageStart(at: number): number;
}

let mapper: Mapper | null | undefined;

function loaded(): Mapper | null {
  if (mapper === undefined) mapper = loadMapper();
  return mapper;
}

/** A view of the first `length` bytes of the open file `fd`, or undefined where it cannot be mapped. */
export function mapFile(fd: number, length: number): Uint8Array | undefined {
  if (length <= 0 || length > bufferConstants.MAX_LENGTH) return undefined;
  return loaded()?.map(fd, length);
}

/** Whether `mapFile` can map here (koffi loads, a 64-bit platform with mmap). */
export function canMap(): boolean {
  return loaded() !== null;
}

/**
 * Drop the pages of bytes [from, to) of a map from `mapFile` (widened to whole pages), as the reader
 * does with each batch it has handed out: the process's memory stays at the batches in use, and (on
 * Linux; macOS takes it as a hint) what a caller wrote into a view — its private copy of those
 * pages — is discarded, so the next read of those bytes sees the file again. Views stay valid: a
 * later access reads the page from the file.
 */
export function dropPages(map: Uint8Array, from = 0, to = map.byteLength): void {
  loaded()?.advise(map, from, to, MADV_DONTNEED);
}

/** `dropPages` for the whole map except the pages of bytes [keepFrom, keepTo). */
export function dropPagesExcept(map: Uint8Array, keepFrom: number, keepTo: number): void {
  const m = loaded();
  if (!m) return;
  m.advise(map, 0, m.pageStart(keepFrom), MADV_DONTNEED);
  m.advise(map, m.pageStart(keepTo + m.page - 1), map.byteLength, MADV_DONTNEED);
}

/**
 * Ask the kernel to start reading bytes [from, to) of a map into the page cache (a prefetch that does
 * not block) — unless their middle page is already there: then the rest most likely is too, and the
 * advice would only walk the cache page by page (16 ms a warm GB on the dev machine). Not the first
 * or last page: reading a neighbouring block brings those in (the kernel reads around a fault).
 */
export function willNeed(map: Uint8Array, from: number, to: number): void {
  const m = loaded();
  if (m && to > from && !m.resident(map, m.pageStart((from + to) / 2))) m.advise(map, from, to, MADV_WILLNEED);
}

interface Koffi {
  load(lib: string): { func(signature: string): (...args: unknown[]) => unknown };
  address(ptr: unknown): bigint;
  view(ptr: unknown, length: number): ArrayBuffer;
  sizeof(type: string): number;
}

function loadMapper(): Mapper | null {
  if (process.platform !== 'linux' && process.platform !== 'darwin') return null;
  try {
    const koffi = createRequire(import.meta.url)('koffi') as Koffi;
    if (koffi.sizeof('void *') !== 8) return null; // 32-bit: little address space, another off_t
    const libc = koffi.load(process.platform === 'darwin' ? 'libSystem.B.dylib' : 'libc.so.6');
    const mmap = libc.func('void *mmap(void *addr, size_t length, int prot, int flags, int fd, int64_t offset)');
    const munmap = libc.func('int munmap(void *addr, size_t length)');
    const madvise = libc.func('int madvise(uintptr_t addr, size_t length, int advice)');
    const mincore = libc.func('int mincore(uintptr_t addr, size_t length, _Out_ uint8_t *vec)');
    const page = Number(libc.func('int getpagesize(void)')());
    const vec = new Uint8Array(1);
    const maps = new WeakMap<ArrayBuffer, { ptr: unknown; length: number }>();
    const unmap = new FinalizationRegistry<{ ptr: unknown; length: number }>((m) => void munmap(m.ptr, m.length));
    const pageStart = (at: number) => Math.floor(at / page) * page;
    return {
      page,
      pageStart,
      map(fd, length) {
        const ptr = mmap(null, length, PROT_READ_WRITE, MAP_PRIVATE, fd, 0);
        if (ptr === null || koffi.address(ptr) === MAP_FAILED) return undefined;
        let buffer: ArrayBuffer;
        try {
          buffer = koffi.view(ptr, length);
        } catch {
          munmap(ptr, length); // a runtime without external ArrayBuffers: read with pread
          return undefined;
        }
        const m = { ptr, length };
        maps.set(buffer, m);
        unmap.register(buffer, m);
        return new Uint8Array(buffer);
      },
      resident(map, at) {
        const m = maps.get(map.buffer as ArrayBuffer);
        if (!m || at >= m.length) return true;
        return mincore(koffi.address(m.ptr) + BigInt(map.byteOffset + at), 1, vec) === 0 && (vec[0]! & 1) === 1;
      },
      advise(map, from, to, advice) {
        const m = maps.get(map.buffer as ArrayBuffer);
        const start = pageStart(map.byteOffset + from); // maps from mapFile start on a page
        const end = Math.min(m?.length ?? 0, pageStart(map.byteOffset + to + page - 1));
        if (m && end > start) madvise(koffi.address(m.ptr) + BigInt(start), end - start, advice);
      },
    };
  } catch {
    return null; // not installed (optional), or its binary or libc would not load: pread instead
  }
}
