import type { CommandModule } from 'yargs';
import { formatDoctor, runDoctor } from '../../train/index.ts';
import { runCommand, type GlobalArgs } from '../command.ts';

export const command: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'doctor',
  describe: 'which tfjs backends are installed, which one `--backend auto` picks and why, whether tfjs-node-gpu really uses the GPU, and how to fix it',
  builder: (y) => y,
  handler: runCommand(async (_args, ctx) => {
    const r = await runDoctor();
    process.stdout.write(formatDoctor(r) + '\n');
    return {
      title: 'train doctor',
      figures: { backend: r.selection.backend, gpu: String(r.selection.gpu), 'smoke test': r.smokeTest.ok ? 'ok' : `FAILED: ${r.smokeTest.detail}` },
    };
  }),
};
