import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { closest, distance } from 'fastest-levenshtein';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { ConfigError, formatError } from '../core/errors.ts';
import { globalOptions } from './command.ts';
import { loadCommands } from './loadCommands.ts';

/** Shared root for the `etl` and `train` programs. */
export async function main(scriptName: string, commandsDir: URL, argv = hideBin(process.argv)): Promise<void> {
  let y = globalOptions(yargs(argv).scriptName(scriptName))
    .strict()
    .demandCommand(1, `choose a command; \`${scriptName} --help\` lists them`)
    .recommendCommands()
    .wrap(Math.min(110, process.stdout.columns ?? 100))
    .fail((msg, err) => {
      if (err) throw err;
      // While a command runs, the instance holds that command's options.
      const known = Object.keys((y as unknown as { getOptions(): { key: Record<string, unknown> } }).getOptions().key);
      process.stderr.write(formatError(new ConfigError(msg, { hint: usageHint(scriptName, commandsDir, argv, msg, known) })) + '\n');
      process.exit(2);
    })
    .help()
    .version();
  skipHelpCache(y);
  y = await loadCommands(y, commandsDir, argv);
  await y.parseAsync();
}

/**
 * yargs renders the running command's whole help text right after starting its handler (cached
 * for a failure message shown later); `.fail` above prints a hint instead and never that text, so
 * the render — ~0.1 CPU-s of line wrapping on every command's start — is skipped. Through yargs'
 * internal methods (18.x): where they are missing, nothing changes.
 */
function skipHelpCache(y: unknown): void {
  type Usage = { cacheHelpMessage?: () => void };
  const usage = (y as { getInternalMethods?(): { getUsageInstance?(): Usage } }).getInternalMethods?.().getUsageInstance?.();
  if (usage && typeof usage.cacheHelpMessage === 'function') usage.cacheHelpMessage = () => undefined;
}

/**
 * The hint for a usage error: the near option for an unknown one (`--batchh` → `--batch`), and the
 * help of the command that was meant: only its command words, never the values typed after them;
 * the program's own help when no command matched.
 */
export function usageHint(scriptName: string, commandsDir: URL, argv: string[], msg: string, knownOptions: string[] = []): string {
  const words = commandWords(fileURLToPath(commandsDir), argv);
  const help = `run \`${[scriptName, ...words].join(' ')} --help\``;
  const unknown = /^Unknown arguments?: (.+)$/.exec(msg)?.[1]?.split(', ')[0];
  // Option names as typed (kebab-case); yargs also lists their camelCase aliases.
  const known = knownOptions.filter((k) => !/[A-Z]/.test(k) && k !== '$0' && k !== '_');
  if (unknown && known.length > 0) {
    const near = closest(unknown, known);
    if (distance(unknown, near) <= Math.max(2, Math.floor(unknown.length / 3))) return `did you mean --${near}? ${help}`;
  }
  return words.length === 0 ? `run \`${scriptName} --help\` for the list of commands` : help;
}

/** Leading positionals of `argv` that name a command module (file) or group (folder) under `dir`. */
function commandWords(dir: string, argv: string[]): string[] {
  const words: string[] = [];
  let at = dir;
  for (const a of argv) {
    if (a.startsWith('-')) continue;
    let names: string[];
    try {
      names = fs.readdirSync(at);
    } catch {
      break;
    }
    if (names.includes(a) && fs.statSync(path.join(at, a)).isDirectory()) {
      words.push(a);
      at = path.join(at, a);
      continue;
    }
    if (names.some((n) => /\.(ts|js)$/.test(n) && n.replace(/\.(ts|js)$/, '') === a)) words.push(a);
    break;
  }
  return words;
}
