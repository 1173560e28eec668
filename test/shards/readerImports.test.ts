import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * The reader's start-up is part of every training process and of the read benchmark: its static
 * import graph (what loads before the first batch) stays off apache-arrow, whose import alone costs
 * ~0.15 s and ~15 MB. Dynamic imports (footer layout for datasets without a batch index, `verify`)
 * load only when used.
 */
function staticImports(file: string): string[] {
  const src = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest);
  const out: string[] = [];
  for (const st of src.statements) {
    const spec = (ts.isImportDeclaration(st) || ts.isExportDeclaration(st)) && st.moduleSpecifier && ts.isStringLiteral(st.moduleSpecifier) ? st.moduleSpecifier.text : undefined;
    const typeOnly = (ts.isImportDeclaration(st) && st.importClause?.isTypeOnly) || (ts.isExportDeclaration(st) && st.isTypeOnly);
    if (spec && !typeOnly) out.push(spec);
  }
  return out;
}

function reachable(entry: string): Set<string> {
  const seen = new Set<string>();
  const walk = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const spec of staticImports(file)) {
      if (spec.startsWith('.')) walk(path.resolve(path.dirname(file), spec));
      else seen.add(spec);
    }
  };
  walk(entry);
  return seen;
}

describe('the shard reader’s start-up', () => {
  it('loads no apache-arrow (statically), and the check sees packages the writer does load', () => {
    const src = path.resolve(import.meta.dirname, '../../src/shards');
    expect([...reachable(path.join(src, 'reader.ts'))].filter((m) => m.startsWith('apache-arrow'))).toEqual([]);
    expect(reachable(path.join(src, 'writer.ts')).has('apache-arrow')).toBe(true);
  });
});
