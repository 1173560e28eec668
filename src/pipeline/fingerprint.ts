import fs from 'node:fs';
import path from 'node:path';
import { stableJson } from '../core/fsAtomic.ts';
import { sha256Hex } from '../core/hash.ts';
import { isTempName } from '../core/fsAtomic.ts';

/**
 * Cheap digests of step inputs and outputs. They read names, sizes and small JSON files only — never
 * image bytes — so checking a million-image data directory for "up to date" takes seconds.
 */

export function digestOf(value: unknown): string {
  return sha256Hex(stableJson(value)).slice(0, 32);
}

/** SHA-256 of a file's bytes, or null when it does not exist. */
export function fileDigest(file: string): string | null {
  try {
    return sha256Hex(fs.readFileSync(file)).slice(0, 32);
  } catch {
    return null;
  }
}

/**
 * Names and sizes of committed files under `root/<sub>/` whose name ends with `suffix` (temporary
 * names excluded), restricted to `keep` when given. A file rewritten with other content nearly always
 * changes size; sidecars carry content hashes, so a digest over sidecars covers their data files.
 */
export function listingDigest(root: string, suffix: string, keep?: (dir: string, name: string) => boolean): { digest: string; files: number } {
  const lines: string[] = [];
  let dirs: string[];
  try {
    dirs = fs.readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  } catch {
    return { digest: digestOf([]), files: 0 };
  }
  for (const d of dirs) {
    const names = fs.readdirSync(path.join(root, d)).filter((n) => n.endsWith(suffix) && !isTempName(n)).sort();
    for (const n of names) {
      if (keep && !keep(d, n)) continue;
      let size = -1;
      try {
        size = fs.statSync(path.join(root, d, n)).size;
      } catch {
        continue;
      }
      lines.push(`${d}/${n}:${size}`);
    }
  }
  return { digest: digestOf(lines), files: lines.length };
}

/** Digest of sidecar JSON contents (small files) for the given paths; missing files count as absent. */
export function sidecarsDigest(files: readonly string[]): { digest: string; present: number } {
  const parts: string[] = [];
  let present = 0;
  for (const f of files) {
    const d = fileDigest(f);
    if (d !== null) present++;
    parts.push(`${path.basename(f)}:${d ?? '-'}`);
  }
  return { digest: digestOf(parts), present };
}
