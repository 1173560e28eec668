import { createRequire } from 'node:module';

/**
 * Memory maps of whole files, so a reader can hand out views of the page cache instead of
 * copying every byte into a buffer (what pyarrow's `memory_map` does). Node has no mmap: this calls
 * libc's through koffi (an optional dependency shipping prebuilt binaries, loaded on first use).
 * Where koffi or mmap is missing (Windows, an install without optional dependencies, a failed map),
 * `mapFile` returns undefined and the caller reads with pread as before.
 *
 * Lifetime: a map is unmapped when its ArrayBuffer is garbage-collected (FinalizationRegistry), and
 * every view of it holds that ArrayBuffer, so no reachable view ever points at unmapped pages.
 * The descriptor may be closed at once: the map keeps the file (even unlinked) alive.
 * Hazard, as with any mmap (numpy, pyarrow): a file truncated by another process under the map
 * faults the reader (SIGBUS). Published shards are never rewritten in place, only replaced.
 */

// Private and writable (copy-on-write): reads share the page cache, and a caller that writes into a
// view (in-place augmentation) gets its own copy of that page instead of a crash; the file never changes.
const PROT_READ_WRITE = 3;
const MAP_PRIVATE = 2;
const MAP_FAILED = 2n ** 64n - 1n;

const MADV_DONTNEED = 4;

interface Mapper {
  map(fd: number, length: number): Uint8Array | undefined;
  dropPages(map: Uint8Array, from: number, to: number): void;
}

let mapper: Mapper | null | undefined;

/** A read-only view of the first `length` bytes of the open file `fd`, or undefined where maps are unavailable. */
export function mapFile(fd: number, length: number): Uint8Array | undefined {
  if (length <= 0) return undefined;
  if (mapper === undefined) mapper = loadMapper();
  return mapper?.map(fd, length);
}

/**
 * Drop the pages of bytes [from, to) of a map from `mapFile` (widened to whole pages), as the reader
 * does with each batch it has handed out: the process's memory stays at the batches in use, and what
 * a caller wrote into a view (its private copy of those pages) is discarded, so the next read of
 * those bytes sees the file again. Views stay valid: a later access reads the page from the file.
 */
export function dropPages(map: Uint8Array, from = 0, to = map.byteLength): void {
  mapper?.dropPages(map, from, to);
}

/** Whether `mapFile` can map here (koffi loads and the platform has mmap). */
export function canMap(): boolean {
  if (mapper === undefined) mapper = loadMapper();
  return mapper !== null;
}

interface Koffi {
  load(lib: string): { func(signature: string): (...args: unknown[]) => unknown };
  address(ptr: unknown): bigint;
  view(ptr: unknown, length: number): ArrayBuffer;
}

function loadMapper(): Mapper | null {
  if (process.platform !== 'linux' && process.platform !== 'darwin') return null;
  let koffi: Koffi;
  try {
    koffi = createRequire(import.meta.url)('koffi') as Koffi;
  } catch {
    return null; // not installed (optional): pread instead
  }
  const libc = koffi.load(process.platform === 'darwin' ? 'libSystem.B.dylib' : 'libc.so.6');
  const mmap = libc.func('void *mmap(void *addr, size_t length, int prot, int flags, int fd, int64_t offset)');
  const munmap = libc.func('int munmap(void *addr, size_t length)');
  const madvise = libc.func('int madvise(uintptr_t addr, size_t length, int advice)');
  const page = Number(libc.func('int getpagesize(void)')());
  const maps = new WeakMap<ArrayBuffer, { ptr: unknown; length: number }>();
  const unmap = new FinalizationRegistry<{ ptr: unknown; length: number }>((m) => void munmap(m.ptr, m.length));
  return {
    map(fd, length) {
      const ptr = mmap(null, length, PROT_READ_WRITE, MAP_PRIVATE, fd, 0);
      if (ptr === null || koffi.address(ptr) === MAP_FAILED) return undefined;
      const buffer = koffi.view(ptr, length);
      const m = { ptr, length };
      maps.set(buffer, m);
      unmap.register(buffer, m);
      return new Uint8Array(buffer);
    },
    dropPages(map, from, to) {
      const m = maps.get(map.buffer as ArrayBuffer);
      if (!m) return;
      const start = Math.floor((map.byteOffset + from) / page) * page;
      const end = Math.min(m.length, Math.ceil((map.byteOffset + to) / page) * page);
      if (end > start) madvise(koffi.address(m.ptr) + BigInt(start), end - start, MADV_DONTNEED);
    },
  };
}
