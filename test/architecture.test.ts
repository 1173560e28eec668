import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * The layers of docs/architecture.md, checked on the real import graph of src/ (static and dynamic
 * imports): folders form no cycle, nothing below imports the application layer (pipeline/) or the
 * CLI, and the product never imports the stand-ins (the test world) except where it serves them.
 */

const SRC = path.resolve(import.meta.dirname, '../src');
/** Product files that exist to run the test world: the demo and the `etl tcia …` stand-in commands. */
const SERVES_STANDINS = /^(pipeline\/demo\.ts|cli\/etl\/demo\.ts|cli\/etl\/tcia\/[^/]+\.ts)$/;

interface Edge {
  from: string;
  to: string;
}

function edges(): Edge[] {
  const out: Edge[] = [];
  for (const rel of fs.readdirSync(SRC, { recursive: true }) as string[]) {
    if (!rel.endsWith('.ts') || rel.endsWith('.d.ts')) continue;
    const file = path.join(SRC, rel);
    for (const imp of ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true).importedFiles) {
      if (!imp.fileName.startsWith('.')) continue;
      out.push({ from: rel.split(path.sep).join('/'), to: path.relative(SRC, path.resolve(path.dirname(file), imp.fileName)).split(path.sep).join('/') });
    }
  }
  return out;
}

/** The folder a file belongs to: standins/<world> count as one folder each; files at the root as "(root)". */
function folderOf(rel: string): string {
  const parts = rel.split('/');
  if (parts.length === 1) return '(root)';
  return parts[0] === 'standins' ? `standins/${parts[1]}` : parts[0]!;
}

const ALL = edges();

describe('the import graph of src/', () => {
  it('has no cycle between folders', () => {
    const graph = new Map<string, Set<string>>();
    for (const e of ALL) {
      const a = folderOf(e.from);
      const b = folderOf(e.to);
      if (a !== b) graph.set(a, (graph.get(a) ?? new Set()).add(b));
    }
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const walk = (n: string, trail: string[]): void => {
      if (state.get(n) === 'done') return;
      if (state.get(n) === 'open') {
        cycles.push([...trail.slice(trail.indexOf(n)), n].join(' → '));
        return;
      }
      state.set(n, 'open');
      for (const m of graph.get(n) ?? []) walk(m, [...trail, n]);
      state.set(n, 'done');
    };
    for (const n of [...graph.keys()].sort()) walk(n, []);
    expect(graph.size).toBeGreaterThan(5);
    expect(cycles).toEqual([]);
  });

  it('has no arrow into pipeline/ or cli/ from below', () => {
    const bad = ALL.filter((e) => {
      const from = folderOf(e.from);
      const to = folderOf(e.to);
      if (to === 'cli') return from !== 'cli';
      if (to === 'pipeline') return from !== 'pipeline' && from !== 'cli';
      return false;
    });
    expect(bad.map((e) => `${e.from} → ${e.to}`)).toEqual([]);
  });

  it('keeps the product off the stand-ins (only the demo and the stand-in commands use them)', () => {
    const product = ALL.filter((e) => !e.from.startsWith('standins/') && e.to.startsWith('standins/'));
    expect(product.length).toBeGreaterThan(0); // the demo does use them: the check sees real edges
    expect(product.filter((e) => !SERVES_STANDINS.test(e.from)).map((e) => `${e.from} → ${e.to}`)).toEqual([]);
  });
});
