import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Argv, CommandModule } from 'yargs';

/** Descriptions of command groups (folders under src/cli/etl or src/cli/train). */
const GROUPS: Record<string, string> = {
  tcia: 'TCIA stand-in: synthetic collections and a local API v4 server',
  fetch: 'download data from an archive',
  dicom: 'DICOM tools for debugging and cross-checking',
  import: 'stage local sources (folders of DICOM or PNG/JPEG files)',
};

/**
 * Registers every command module in `dir`: a file `x.ts` exporting `command` is `x`; a folder `g/`
 * is a command group whose files are its subcommands (`etl fetch tcia` = etl/fetch/tcia.ts).
 * One file per command, so commands are added without editing a central list.
 */
export async function loadCommands<T>(y: Argv<T>, dirUrl: URL): Promise<Argv<T>> {
  const dir = fileURLToPath(dirUrl);
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      const subs = await importModules(full);
      if (subs.length === 0) continue;
      y = y.command(entry.name, GROUPS[entry.name] ?? `${entry.name} commands`, (g) => {
        for (const m of subs) g = g.command(m);
        return g.demandCommand(1, `choose a subcommand of ${entry.name}`);
      });
    } else if (isModuleFile(entry.name)) {
      for (const m of await importModules(full)) y = y.command(m);
    }
  }
  return y;
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
