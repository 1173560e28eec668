import fsp from 'node:fs/promises';
import path from 'node:path';

/**
 * Streaming directory walks with fs.opendir: entries are read a batch at a time and never listed
 * whole, so a folder of a million files costs the memory of one chunk, and the event loop stays free
 * (opendir and stat run on libuv's thread pool). Hidden entries (".…") are skipped.
 */

export interface FoundFile {
  /** Absolute path. */
  path: string;
  /** Path relative to the walked root, with "/" separators. */
  rel: string;
  size: number;
  mtimeMs: number;
}

export interface FolderChunk {
  /** Folder relative to the root ("." for the root). */
  rel: string;
  /** Files of the folder accepted by the filter, sorted by name; at most `chunk` of them. */
  files: FoundFile[];
  /** Index of this chunk within its folder (0 for most folders). */
  part: number;
}

const byName = (a: FoundFile, b: FoundFile) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0);

async function found(root: string, abs: string): Promise<FoundFile | undefined> {
  try {
    const st = await fsp.stat(abs);
    return { path: abs, rel: path.relative(root, abs).split(path.sep).join('/'), size: st.size, mtimeMs: st.mtimeMs };
  } catch {
    return undefined; // gone since it was listed
  }
}

/**
 * Every folder under `root` (depth first), its accepted files in chunks of at most `chunk`. Files of a
 * folder that fits in one chunk arrive together (a MURA study, a BraTS case); subfolder names are
 * kept until their parent is read (folders are few next to files).
 */
export async function* walkFolders(root: string, accept: (name: string) => boolean, chunk = 1000): AsyncGenerator<FolderChunk> {
  const stack = [root];
  while (stack.length > 0) {
    const dir = stack.pop()!;
    const rel = path.relative(root, dir).split(path.sep).join('/') || '.';
    const subdirs: string[] = [];
    let files: FoundFile[] = [];
    let part = 0;
    const handle = await fsp.opendir(dir, { bufferSize: 256 });
    for await (const e of handle) {
      if (e.name.startsWith('.')) continue;
      const abs = path.join(dir, e.name);
      if (e.isDirectory()) subdirs.push(abs);
      else if ((e.isFile() || e.isSymbolicLink()) && accept(e.name)) {
        const f = await found(root, abs);
        if (f) files.push(f);
        if (files.length >= chunk) {
          yield { rel, files: files.sort(byName), part: part++ };
          files = [];
        }
      }
    }
    if (files.length > 0) yield { rel, files: files.sort(byName), part };
    stack.push(...subdirs.sort().reverse());
  }
}

/** Every accepted file under `root`, one at a time. */
export async function* walkFiles(root: string, accept: (name: string) => boolean): AsyncGenerator<FoundFile> {
  for await (const c of walkFolders(root, accept, 256)) yield* c.files;
}

/** Stat a file named by a metadata row; undefined when it does not exist. */
export async function statFile(root: string, abs: string): Promise<FoundFile | undefined> {
  return found(root, abs);
}
