import { Command, Option } from 'commander';
import { generateCommand } from './commands/generate.ts';
import { serveCommand } from './commands/serve.ts';
import { EXIT } from './commands/terminal.ts';
import { testCommand } from './commands/test.ts';
import { validateCommand } from './commands/validate.ts';

/** Every flag also reads an environment variable: --prometheus-url ↔ BURNBOOK_PROMETHEUS_URL. */
function option(flags: string, description: string, defaultValue?: string): Option {
  const long = /--([a-z-]+)/.exec(flags)?.[1] ?? '';
  const env = `BURNBOOK_${long.toUpperCase().replace(/-/g, '_')}`;
  const opt = new Option(flags, description).env(env);
  return defaultValue === undefined ? opt : opt.default(defaultValue);
}

const DEFAULT_PATHS = ['slos/'];
const DEFAULT_EXTERNAL_URL = 'http://127.0.0.1:8080';

const program = new Command('burnbook')
  .description('SLOs in YAML → burn-rate alerts, runbooks, alert history and live burn status')
  .showHelpAfterError()
  .exitOverride((err) => {
    process.exit(err.exitCode === 0 ? EXIT.ok : EXIT.usage);
  });

program
  .command('validate')
  .description('check SLO specs; exit 1 on any error')
  .argument('[paths...]', 'spec files or directories', DEFAULT_PATHS)
  .action((paths: string[]) => validateCommand(paths));

program
  .command('generate')
  .description('write Prometheus rule files, promtool tests and (optionally) an Alertmanager snippet')
  .argument('[paths...]', 'spec files or directories', DEFAULT_PATHS)
  .addOption(option('--out <dir>', 'where rule files go (tests in <dir>/tests)', 'rules/'))
  .addOption(option('--external-url <url>', 'where burnbook serves runbooks; used in runbook_url', DEFAULT_EXTERNAL_URL))
  .addOption(option('--alertmanager <file>', 'also write an Alertmanager snippet (receiver + inhibit rules)'))
  .action((paths: string[], opts) => generateCommand(paths, opts));

program
  .command('test')
  .description('promtool check rules and promtool test rules on generated output')
  .addOption(option('--rules <dir>', 'directory with generated rules', 'rules/'))
  .action((opts) => testCommand(opts));

program
  .command('serve')
  .description('serve runbooks, SLO pages, the Alertmanager webhook and the API')
  .argument('[paths...]', 'spec files or directories', DEFAULT_PATHS)
  .addOption(option('--port <port>', 'port to listen on', '8080'))
  .addOption(option('--host <host>', 'address to listen on', '127.0.0.1'))
  .addOption(option('--data-dir <dir>', 'where the alert store lives', 'data/'))
  .addOption(option('--external-url <url>', 'base URL people reach burnbook at (default: http://<host>:<port>)'))
  .addOption(option('--prometheus-url <url>', 'Prometheus to evaluate SLOs and run first-look queries against'))
  .addOption(option('--alertmanager-url <url>', 'Alertmanager the evaluator sends its alerts to'))
  .addOption(option('--runbooks <dir>', 'runbook templates and markdown pages', 'runbooks/'))
  .action((paths: string[], opts) => serveCommand(paths, opts));

await program.parseAsync();
