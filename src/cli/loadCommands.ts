import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Argv, CommandModule } from 'yargs';

/** Descriptions of command groups (folders under src/cli/etl or src/cli/train). */
const GROUPS: Record<string, string> = {
  tcia: 'TCIA stand-in: synthetic collections and a local API v4 server',
  fetch: 'download data from an archive',
  dicom: 'DICOM tools for debugging and cross-checking',
  import: 'stage local sources: DICOM or PNG/JPEG folders, and the external datasets in their real layouts',
};

/** Global options that take a value (`--data-dir X cmd`: X is not the command). */
const VALUE_OPTIONS = new Set(['--data-dir', '--log-format']);

/** The command summary the build writes next to the compiled commands (`etl --help` without loading them). */
export const COMMAND_INDEX = 'commands.json';

/** One entry of the command index: what the top-level help shows. */
export interface IndexedCommand {
  command: string;
  describe: string;
}

/**
 * Registers the command modules in `dir`: a file `x.ts` exporting `command` is `x`; a folder `g/`
 * is a command group whose files are its subcommands (`etl fetch tcia` = etl/fetch/tcia.ts).
 * One file per command, so commands are added without editing a central list.
 *
 * Lazily: a command's module (and the libraries it pulls in: tfjs, arrow, sharp…) is imported only
 * when that command runs. `etl shard …` imports shard.ts alone; the top-level help reads the index
 * the build wrote (dist/), or imports every module when there is none (sources under tsx); a word
 * that names no file imports them all so yargs can suggest the closest command.
 */
export async function loadCommands<T>(y: Argv<T>, dirUrl: URL, argv: string[]): Promise<Argv<T>> {
  const dir = fileURLToPath(dirUrl);
  const entries = fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
  const word = firstPositional(argv);
  const named = word === undefined ? [] : entries.filter((e) => (e.isDirectory() ? e.name === word : isModuleFile(e.name) && stem(e.name) === word));
  if (named.length > 0) return register(y, dir, named);
  if (word === undefined) {
    const index = readIndex(dir);
    if (index) {
      for (const c of index) y = y.command(c.command, c.describe, {}, () => undefined);
      return y;
    }
  }
  return register(y, dir, entries);
}

async function register<T>(y: Argv<T>, dir: string, entries: fs.Dirent[]): Promise<Argv<T>> {
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      const subs = await importModules(full);
      if (subs.length === 0) continue;
      y = y.command(entry.name, groupDescription(entry.name), (g) => {
        for (const m of subs) g = g.command(m);
        return g.demandCommand(1, `choose a subcommand of ${entry.name}`);
      });
    } else if (isModuleFile(entry.name)) {
      for (const m of await importModules(full)) y = y.command(m);
    }
  }
  return y;
}

/**
 * What the top-level help lists for `dir`: every command and group, in registration order. The
 * build (scripts/build-dist.mjs) writes it as `commands.json` beside the compiled modules.
 */
export async function indexCommands(dirUrl: URL): Promise<IndexedCommand[]> {
  const dir = fileURLToPath(dirUrl);
  const out: IndexedCommand[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if ((await importModules(full)).length > 0) out.push({ command: entry.name, describe: groupDescription(entry.name) });
    } else if (isModuleFile(entry.name)) {
      for (const m of await importModules(full)) out.push({ command: String(m.command), describe: String(m.describe ?? '') });
    }
  }
  return out;
}

function groupDescription(name: string): string {
  return GROUPS[name] ?? `${name} commands`;
}

function readIndex(dir: string): IndexedCommand[] | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, COMMAND_INDEX), 'utf8')) as IndexedCommand[];
  } catch {
    return undefined;
  }
}

/** The first word that is neither an option nor a global option's value. */
function firstPositional(argv: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return undefined;
    if (!a.startsWith('-')) return a;
    if (VALUE_OPTIONS.has(a)) i++;
  }
  return undefined;
}

function stem(name: string): string {
  return name.replace(/\.(ts|js)$/, '');
}

function isModuleFile(name: string): boolean {
  return /\.(ts|js)$/.test(name) && !name.endsWith('.d.ts') && !name.endsWith('.test.ts');
}

async function importModules(p: string): Promise<CommandModule<any, any>[]> {
  const files = fs.statSync(p).isDirectory()
    ? fs.readdirSync(p).filter(isModuleFile).sort().map((f) => path.join(p, f))
    : [p];
  const out: CommandModule<any, any>[] = [];
  for (const f of files) {
    const mod = (await import(pathToFileURL(f).href)) as { command?: CommandModule<any, any> };
    if (mod.command) out.push(mod.command);
  }
  return out;
}
