import { Command } from 'commander';
import {
  COMMAND_GROUPS,
  COMMANDS,
  type CommandName,
  commandFromTable,
  type FlagsOf,
} from './commands/flags.ts';
import { EXIT } from './commands/terminal.ts';

// Each command's module loads when it runs: `validate` and `generate` need not load the server.
const RUN: { [C in CommandName]: (paths: string[], flags: FlagsOf<C>, argument: string) => Promise<void> } = {
  validate: (paths, flags) => import('./commands/validate.ts').then((m) => m.validateCommand(paths, flags)),
  generate: (paths, flags) =>
    import('./commands/generate.ts').then(async (m) => {
      await m.generateCommand(paths, flags);
    }),
  import: (paths, flags) => import('./commands/import.ts').then((m) => m.importCommand(paths, flags)),
  test: (_paths, flags) => import('./commands/test.ts').then((m) => m.testCommand(flags)),
  serve: (paths, flags) => import('./commands/serve.ts').then((m) => m.serveCommand(paths, flags)),
  status: (paths, flags) => import('./commands/status.ts').then((m) => m.statusCommand(paths, flags)),
  backtest: (paths, flags) => import('./commands/backtest.ts').then((m) => m.backtestCommand(paths, flags)),
  postmortem: (paths, flags, incident) =>
    import('./commands/postmortem.ts').then((m) => m.postmortemCommand(incident, paths, flags)),
  'runbooks build': (paths, flags) =>
    import('./commands/runbooks.ts').then((m) => m.runbooksBuildCommand(paths, flags)),
};

const program = new Command('burnbook')
  .description('SLOs in YAML → burn-rate alerts, runbooks, alert history and live burn status')
  .showHelpAfterError()
  .exitOverride((err) => {
    process.exit(err.exitCode === 0 ? EXIT.ok : EXIT.usage);
  });

const groups = new Map<string, Command>();
for (const name of Object.keys(COMMANDS) as CommandName[]) {
  const [first, sub] = name.split(' ') as [string, string | undefined];
  let parent = program;
  if (sub) {
    parent = groups.get(first) ?? program.command(first).description(COMMAND_GROUPS[first] ?? '');
    groups.set(first, parent);
  }
  const command = commandFromTable(sub ?? first, COMMANDS[name], RUN[name] as never);
  parent.addCommand(command.copyInheritedSettings(parent));
}

await program.parseAsync();
