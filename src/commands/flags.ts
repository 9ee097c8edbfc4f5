import { Command, InvalidArgumentError, Option } from 'commander';

/**
 * Every command's flags, one typed table per command: cli.ts builds commander from these tables, and
 * each command's options type is derived from its table (FlagsOf<'serve'>), so a flag is declared once.
 * A key is the flag's name in camelCase (`dataDir` is `--data-dir`), which is also the key commander
 * gives its value under, and every flag reads an environment variable (`BURNBOOK_DATA_DIR`).
 */

export interface Flag {
  /** The value's placeholder in --help (`dir` shows `<dir>`); absent for a switch such as --json. */
  value?: string;
  description: string;
  default?: string;
  /** May be given several times; from the environment, one per line. */
  repeatable?: true;
}

export type FlagTable = Record<string, Flag>;

/** What a command receives for its table: a defaulted flag always has a string; a switch is a boolean. */
export type FlagValues<T extends FlagTable> = {
  [K in keyof T as T[K] extends { default: string } ? K : never]: string;
} & {
  [K in keyof T as T[K] extends { default: string } ? never : K]?: T[K] extends { repeatable: true }
    ? string[]
    : T[K] extends { value: string }
      ? string
      : boolean;
};

export interface CommandTable {
  description: string;
  /** One required argument before any paths, e.g. `<incident>`. */
  argument?: { name: string; description: string };
  /** Takes spec files or directories, `slos/` by default. */
  paths?: true;
  flags: FlagTable;
}

export const DEFAULT_PATHS = ['slos/'];
export const DEFAULT_EXTERNAL_URL = 'http://127.0.0.1:8080';

/** Flags for reaching Prometheus, the same on every command that asks it; only the timeout's default differs. */
function prometheusFlags<Timeout extends string>(defaultTimeout: Timeout) {
  return {
    prometheusUrl: {
      value: 'url',
      description: 'Prometheus (or Thanos Query, Mimir, Cortex) to ask; user:pass@ in the URL for basic auth',
    },
    prometheusTimeout: {
      value: 'duration',
      description: 'give up on each query after this long',
      default: defaultTimeout,
    },
    prometheusBearerToken: { value: 'token', description: 'sent as Authorization: Bearer <token>' },
    prometheusHeader: {
      value: 'header',
      description: "extra request header, repeatable: 'X-Scope-OrgID: tenant-a'",
      repeatable: true,
    },
  } as const satisfies FlagTable;
}

const json = { json: { description: 'print JSON instead of a table' } } as const satisfies FlagTable;

// Every command that reads specs takes it: an SLO's `runbook:` file must be under it or in the spec's
// repository (spec/runbook-file.ts), and every command must judge a spec the same way.
const runbooks = {
  runbooks: {
    value: 'dir',
    description:
      "runbook templates and markdown pages; specs' runbook: files must be here or in their repository",
    default: 'runbooks/',
  },
} as const satisfies FlagTable;

/** The flags of `serve` for the alert history and its webhook. */
const ALERT_FLAGS = {
  retention: {
    value: 'duration',
    description: 'delete resolved alerts that ended longer ago than this',
    default: '90d',
  },
  webhookBearerToken: {
    value: 'token',
    description: 'require Authorization: Bearer <token> on POST /hooks/alertmanager',
  },
  webhookBasicAuth: { value: 'user:password', description: 'require basic auth on POST /hooks/alertmanager' },
} as const satisfies FlagTable;

/** Every command, as `burnbook --help` lists them; `runbooks build` is `build` under `runbooks`. */
export const COMMANDS = {
  validate: {
    description:
      'check SLO specs as generate would: every output rendered, rules checked with promtool; writes nothing; ' +
      'with --prometheus-url, also whether each SLI reads series there; exit 1 on any error, 3 when Prometheus cannot be reached',
    paths: true,
    flags: { ...runbooks, ...prometheusFlags('10s') },
  },
  generate: {
    description: 'write rule files, promtool tests and, optionally, Alertmanager and Grafana files',
    paths: true,
    flags: {
      out: { value: 'dir', description: 'where rule files go (tests in <dir>/tests)', default: 'rules/' },
      format: {
        value: 'format',
        description:
          'prometheus: rule files and promtool tests; prometheus-rule: PrometheusRule objects for prometheus-operator; mimir: rule namespaces for mimirtool, cortextool and their rulers',
        default: 'prometheus',
      },
      ruleNamespace: {
        value: 'namespace',
        description: 'prometheus-rule: metadata.namespace of every object',
      },
      ruleLabel: {
        value: 'key=value',
        description:
          "prometheus-rule: a label on every object, repeatable; what your Prometheus resource's ruleSelector matches (release=kube-prometheus-stack)",
        repeatable: true,
      },
      ruleNamePrefix: {
        value: 'prefix',
        description: 'prometheus-rule: metadata.name is this and the service',
        default: 'burnbook-',
      },
      externalUrl: {
        value: 'url',
        description: 'where burnbook serves runbooks; used in runbook_url',
        default: DEFAULT_EXTERNAL_URL,
      },
      alertmanager: {
        value: 'file',
        description: 'also write an Alertmanager snippet (receiver + inhibit rules)',
      },
      grafana: {
        value: 'dir',
        description: 'also write Grafana dashboards and provisioning files into <dir>',
      },
      grafanaUrl: {
        value: 'url',
        description: 'Grafana that serves them: adds dashboard_url to every alert',
      },
      ...runbooks,
    },
  },
  import: {
    description:
      'Sloth, Pyrra and OpenSLO specs to burnbook/v1 YAML, one file per source file, checked before anything is written',
    paths: true,
    flags: {
      out: { value: 'dir', description: 'where the burnbook/v1 files go', default: 'slos/' },
      force: { description: 'replace files that already exist in --out' },
    },
  },
  test: {
    description: 'promtool check rules and promtool test rules on generated output',
    flags: { rules: { value: 'dir', description: 'directory with generated rules', default: 'rules/' } },
  },
  serve: {
    description: 'serve runbooks, SLO pages, the Alertmanager webhook and the API',
    paths: true,
    flags: {
      port: { value: 'port', description: 'port to listen on', default: '8080' },
      host: { value: 'host', description: 'address to listen on', default: '127.0.0.1' },
      dataDir: { value: 'dir', description: 'where the alert store lives (SQLite)', default: 'data/' },
      store: {
        value: 'url',
        description:
          'keep the alert history in PostgreSQL instead (postgres://user:password@host:5432/db), shared by replicas',
      },
      externalUrl: {
        value: 'url',
        description: 'base URL people reach burnbook at (default: http://<host>:<port>)',
      },
      alertmanagerUrl: { value: 'url', description: 'Alertmanager the evaluator sends its alerts to' },
      grafanaUrl: {
        value: 'url',
        description:
          'Grafana serving the generated dashboards: runbook pages link to them, evaluator alerts get dashboard_url',
      },
      ...runbooks,
      evaluationInterval: {
        value: 'duration',
        description: 'how often the evaluator asks Prometheus',
        default: '30s',
      },
      ...ALERT_FLAGS,
      ...prometheusFlags('10s'),
    },
  },
  status: {
    description: 'evaluate every SLO against Prometheus now: budget left, burn rate by window, tiers burning',
    paths: true,
    flags: { ...json, ...runbooks, ...prometheusFlags('30s') },
  },
  backtest: {
    description: 'replay every tier over history: how often it would have fired, for how long, how late',
    paths: true,
    flags: {
      days: { value: 'days', description: 'how many days back to replay', default: '30' },
      step: { value: 'duration', description: 'replay resolution (default: 1m up to 14 days, 5m beyond)' },
      ...json,
      ...runbooks,
      ...prometheusFlags('2m'),
    },
  },
  postmortem: {
    description:
      'print a postmortem draft (markdown) for an incident, its numbers filled in from the alert store, ' +
      'Prometheus and Alertmanager; exit 1 when there is no such incident, 3 when the store cannot be read',
    argument: {
      name: 'incident',
      description: 'the incident id, as on /incidents (any of its alert ids works)',
    },
    paths: true,
    flags: {
      dataDir: {
        value: 'dir',
        description: 'where the alert store lives (SQLite, as given to serve)',
        default: 'data/',
      },
      store: { value: 'url', description: 'the PostgreSQL alert history serve was given (postgres://…)' },
      externalUrl: {
        value: 'url',
        description: 'base URL people reach burnbook at, for the link to the incident page',
        default: DEFAULT_EXTERNAL_URL,
      },
      alertmanagerUrl: { value: 'url', description: 'Alertmanager to read silences from' },
      ...runbooks,
      ...prometheusFlags('10s'),
    },
  },
  'runbooks build': {
    description: 'write the runbook and SLO pages as files: HTML, and markdown for runbooks',
    paths: true,
    flags: {
      out: { value: 'dir', description: 'where the pages go', default: 'runbooks-site/' },
      ...runbooks,
      prometheusUrl: { value: 'url', description: 'Prometheus the "open in Prometheus" links point at' },
    },
  },
} as const satisfies Record<string, CommandTable>;

/** Parent commands that only group others. */
export const COMMAND_GROUPS: Record<string, string> = { runbooks: 'runbook pages without a server' };

export type CommandName = keyof typeof COMMANDS;
export type FlagsOf<C extends CommandName> = FlagValues<(typeof COMMANDS)[C]['flags']>;
/** The Prometheus flags, as every command that asks Prometheus receives them. */
export type PrometheusFlags = FlagValues<ReturnType<typeof prometheusFlags<string>>>;
export type AlertFlags = FlagValues<typeof ALERT_FLAGS>;

const kebab = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

function option(key: string, flag: Flag): Option {
  const opt = new Option(`--${kebab(key)}${flag.value ? ` <${flag.value}>` : ''}`, flag.description).env(
    `BURNBOOK_${kebab(key).toUpperCase().replace(/-/g, '_')}`,
  );
  if (flag.default !== undefined) opt.default(flag.default);
  // The HTTP URLs (--store takes a postgres:// URL, checked by the store).
  if (flag.value === 'url' && key.endsWith('Url')) opt.argParser(absoluteUrl);
  if (flag.repeatable) opt.argParser((value: string, previous: string[] = []) => [...previous, value]);
  return opt;
}

/**
 * A URL flag's value, checked when the command line is read: a URL without a scheme (`burnbook.example.com`)
 * would make relative links in every alert, or fail deep inside a fetch. Commander names the flag in the
 * error and cli.ts exits 2 (usage).
 */
function absoluteUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError(
      `expected an absolute http(s) URL such as https://host:port, got "${value}"`,
    );
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || !url.hostname) {
    throw new InvalidArgumentError(
      `expected an http:// or https:// URL with a host, got "${value}" (did you mean http://${value}?)`,
    );
  }
  return value;
}

/**
 * A commander command from a table; `action` gets the paths (empty without), the flags' values and the
 * table's argument (empty without).
 */
export function commandFromTable(
  name: string,
  table: CommandTable,
  action: (paths: string[], flags: never, argument: string) => Promise<void>,
): Command {
  const command = new Command(name).description(table.description);
  if (table.argument) command.argument(`<${table.argument.name}>`, table.argument.description);
  if (table.paths) command.argument('[paths...]', 'spec files or directories', DEFAULT_PATHS);
  for (const [key, flag] of Object.entries(table.flags)) command.addOption(option(key, flag));
  return command.action((...args: unknown[]) => {
    const argument = table.argument ? String(args.shift()) : '';
    const paths = table.paths ? (args[0] as string[]) : [];
    const flags = args[table.paths ? 1 : 0];
    return action(paths, flags as never, argument);
  });
}
