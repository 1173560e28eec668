import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import yargs from 'yargs';
import { COMMAND_INDEX, indexCommands, loadCommands } from '../../src/cli/loadCommands.ts';

/** A commands folder where `broken.js` throws when imported: loading it is visible. */
function commandsDir(): URL {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cmds-'));
  const cmd = (name: string) => `export const command = { command: '${name}', describe: 'the ${name} command', handler: (a) => { globalThis.ran = '${name}'; } };\n`;
  fs.writeFileSync(path.join(dir, 'alpha.js'), cmd('alpha'));
  fs.writeFileSync(path.join(dir, 'broken.js'), `throw new Error('broken was imported');\n${cmd('broken')}`);
  fs.mkdirSync(path.join(dir, 'group'));
  fs.writeFileSync(path.join(dir, 'group', 'sub.js'), cmd('sub'));
  return pathToFileURL(dir + path.sep);
}

async function run(dir: URL, argv: string[]): Promise<unknown> {
  (globalThis as { ran?: string }).ran = undefined;
  const y = await loadCommands(yargs(argv).exitProcess(false), dir, argv);
  await y.parseAsync();
  return (globalThis as { ran?: string }).ran;
}

describe('loadCommands', () => {
  it('imports only the module of the command that runs', async () => {
    const dir = commandsDir();
    expect(await run(dir, ['alpha'])).toBe('alpha');
    expect(await run(dir, ['--data-dir', 'alpha', 'group', 'sub'])).toBe('sub');
  });

  it('imports every module when the word names none (for suggestions), so a broken one shows', async () => {
    await expect(run(commandsDir(), ['alpah'])).rejects.toThrow('broken was imported');
  });

  it('lists the commands from the build index without importing them', async () => {
    const dir = commandsDir();
    const file = new URL('broken.js', dir);
    const good = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, good.replace(/^throw.*\n/, ''));
    const index = await indexCommands(dir);
    expect(index.map((c) => c.command)).toEqual(['alpha', 'broken', 'group']);
    fs.writeFileSync(file, good);
    fs.writeFileSync(new URL(COMMAND_INDEX, dir), JSON.stringify(index));
    let help = '';
    const y = await loadCommands(yargs([]).exitProcess(false), dir, []);
    await y.parseAsync('--help', (_err: unknown, _argv: unknown, out: string) => {
      help = out;
    });
    expect(help).toContain('the broken command');
    expect(help).toContain('group commands');
  });
});
