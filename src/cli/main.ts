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
      process.stderr.write(formatError(new ConfigError(msg, { hint: `run \`${scriptName} ${argv.filter((a) => !a.startsWith('-')).join(' ')} --help\`` })) + '\n');
      process.exit(2);
    })
    .help()
    .version();
  y = await loadCommands(y, commandsDir, argv);
  await y.parseAsync();
}
