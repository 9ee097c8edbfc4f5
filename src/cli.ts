import { Command, Option } from 'commander';
import { EXIT } from './commands/terminal.ts';

/** Every flag also reads an environment variable: --prometheus-url ↔ BURNBOOK_PROMETHEUS_URL. */
function option(flags: string, description: string, defaultValue?: string): Option {
  const long = /--([a-z-]+)/.exec(flags)?.[1] ?? '';
  const env = `BURNBOOK_${long.toUpperCase().replace(/-/g, '_')}`;
  const opt = new Option(flags, description).env(env);
  return defaultValue === undefined ? opt : opt.default(defaultValue);
}

const DEFAULT_PATHS = ['slos/'];
const DEFAULT_EXTERNAL_URL = 'http://127.0.0.1:8080';

// Each command's module loads when it runs: `validate` and `generate` need not load the server.
const program = new Command('burnbook')
  .description('SLOs in YAML → burn-rate alerts, runbooks, alert history and live burn status')
  .showHelpAfterError()
  .exitOverride((err) => {
    process.exit(err.exitCode === 0 ? EXIT.ok : EXIT.usage);
  });

const RUNBOOKS_HELP =
  "runbook templates and markdown pages; specs' runbook: files must be here or in their repository";

program
  .command('validate')
  .description(
    'check SLO specs as generate would: every output rendered, rules checked with promtool; writes nothing; exit 1 on any error',
  )
  .argument('[paths...]', 'spec files or directories', DEFAULT_PATHS)
  .addOption(option('--runbooks <dir>', RUNBOOKS_HELP, 'runbooks/'))
  .action((paths: string[], opts) =>
    import('./commands/validate.ts').then((m) => m.validateCommand(paths, opts)),
  );

program
  .command('generate')
  .description('write rule files, promtool tests and, optionally, Alertmanager and Grafana files')
  .argument('[paths...]', 'spec files or directories', DEFAULT_PATHS)
  .addOption(option('--out <dir>', 'where rule files go (tests in <dir>/tests)', 'rules/'))
  .addOption(
    option(
      '--external-url <url>',
      'where burnbook serves runbooks; used in runbook_url',
      DEFAULT_EXTERNAL_URL,
    ),
  )
  .addOption(option('--alertmanager <file>', 'also write an Alertmanager snippet (receiver + inhibit rules)'))
  .addOption(option('--grafana <dir>', 'also write Grafana dashboards and provisioning files into <dir>'))
  .addOption(option('--grafana-url <url>', 'Grafana that serves them: adds dashboard_url to every alert'))
  .addOption(option('--runbooks <dir>', RUNBOOKS_HELP, 'runbooks/'))
  .action((paths: string[], opts) =>
    import('./commands/generate.ts').then(async (m) => {
      await m.generateCommand(paths, opts);
    }),
  );

program
  .command('test')
  .description('promtool check rules and promtool test rules on generated output')
  .addOption(option('--rules <dir>', 'directory with generated rules', 'rules/'))
  .action((opts) => import('./commands/test.ts').then((m) => m.testCommand(opts)));

const serve = program
  .command('serve')
  .description('serve runbooks, SLO pages, the Alertmanager webhook and the API')
  .argument('[paths...]', 'spec files or directories', DEFAULT_PATHS)
  .addOption(option('--port <port>', 'port to listen on', '8080'))
  .addOption(option('--host <host>', 'address to listen on', '127.0.0.1'))
  .addOption(option('--data-dir <dir>', 'where the alert store lives', 'data/'))
  .addOption(
    option('--external-url <url>', 'base URL people reach burnbook at (default: http://<host>:<port>)'),
  )
  .addOption(option('--alertmanager-url <url>', 'Alertmanager the evaluator sends its alerts to'))
  .addOption(
    option(
      '--grafana-url <url>',
      'Grafana serving the generated dashboards: runbook pages link to them, evaluator alerts get dashboard_url',
    ),
  )
  .addOption(option('--runbooks <dir>', RUNBOOKS_HELP, 'runbooks/'))
  .addOption(option('--evaluation-interval <duration>', 'how often the evaluator asks Prometheus', '30s'))
  .addOption(
    option('--retention <duration>', 'delete resolved alerts that ended longer ago than this', '90d'),
  )
  .addOption(
    option(
      '--webhook-bearer-token <token>',
      'require Authorization: Bearer <token> on POST /hooks/alertmanager',
    ),
  )
  .addOption(
    option('--webhook-basic-auth <user:password>', 'require basic auth on POST /hooks/alertmanager'),
  );

withPrometheus(serve, '10s').action((paths: string[], opts) =>
  import('./commands/serve.ts').then((m) => m.serveCommand(paths, opts)),
);

/** Flags for reaching Prometheus, the same on every command that asks it. */
function withPrometheus(command: Command, defaultTimeout: string): Command {
  const collect = (value: string, previous: string[] = []) => [...previous, value];
  return command
    .addOption(
      option(
        '--prometheus-url <url>',
        'Prometheus (or Thanos Query, Mimir, Cortex) to ask; user:pass@ in the URL for basic auth',
      ),
    )
    .addOption(
      option('--prometheus-timeout <duration>', 'give up on each query after this long', defaultTimeout),
    )
    .addOption(option('--prometheus-bearer-token <token>', 'sent as Authorization: Bearer <token>'))
    .addOption(
      option(
        '--prometheus-header <header>',
        "extra request header, repeatable: 'X-Scope-OrgID: tenant-a'",
      ).argParser(collect),
    );
}

withPrometheus(
  program
    .command('status')
    .description('evaluate every SLO against Prometheus now: budget left, burn rate by window, tiers burning')
    .argument('[paths...]', 'spec files or directories', DEFAULT_PATHS)
    .addOption(option('--json', 'print JSON instead of a table'))
    .addOption(option('--runbooks <dir>', RUNBOOKS_HELP, 'runbooks/')),
  '30s',
).action((paths: string[], opts) => import('./commands/status.ts').then((m) => m.statusCommand(paths, opts)));

withPrometheus(
  program
    .command('backtest')
    .description('replay every tier over history: how often it would have fired, for how long, how late')
    .argument('[paths...]', 'spec files or directories', DEFAULT_PATHS)
    .addOption(option('--days <days>', 'how many days back to replay', '30'))
    .addOption(option('--step <duration>', 'replay resolution (default: 1m up to 14 days, 5m beyond)'))
    .addOption(option('--json', 'print JSON instead of a table'))
    .addOption(option('--runbooks <dir>', RUNBOOKS_HELP, 'runbooks/')),
  '2m',
).action((paths: string[], opts) =>
  import('./commands/backtest.ts').then((m) => m.backtestCommand(paths, opts)),
);

const runbooks = program.command('runbooks').description('runbook pages without a server');

runbooks
  .command('build')
  .description('write the runbook and SLO pages as files: HTML, and markdown for runbooks')
  .argument('[paths...]', 'spec files or directories', DEFAULT_PATHS)
  .addOption(option('--out <dir>', 'where the pages go', 'runbooks-site/'))
  .addOption(option('--runbooks <dir>', RUNBOOKS_HELP, 'runbooks/'))
  .addOption(option('--prometheus-url <url>', 'Prometheus the "open in Prometheus" links point at'))
  .action((paths: string[], opts) =>
    import('./commands/runbooks.ts').then((m) => m.runbooksBuildCommand(paths, opts)),
  );

await program.parseAsync();
