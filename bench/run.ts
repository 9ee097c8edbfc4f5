/**
 * `npm run bench` runs every benchmark in order; `npm run bench -- rules` runs one, and the arguments after
 * its name go to it (`npm run bench -- rules --full`). Each prints its results as tables on stdout,
 * with ratios against a baseline measured in the same run; progress goes to stderr.
 */
import { cleanupAll, progress } from './support.ts';

type Bench = (args: string[]) => Promise<void>;

const BENCHMARKS: Record<string, { about: string; load: () => Promise<Bench> }> = {
  rules: {
    about: 'rule evaluation cost in a real Prometheus, burnbook vs straightforward rules',
    load: async () => (await import('./rules.ts')).rulesBench,
  },
  generate: {
    about: '`generate` and `validate` at 100 to 10,000 SLOs: time, memory, growth',
    load: async () => (await import('./generate.ts')).generateBench,
  },
  runbooks: {
    about: 'runbook page latency with no, a healthy and a slow Prometheus',
    load: async () => (await import('./runbooks.ts')).runbooksBench,
  },
  server: {
    about: 'burnbook serve at 10,000 SLOs: startup, memory, page latency, evaluator cycle, Prometheus CPU',
    load: async () => (await import('./server.ts')).serverBench,
  },
  receiver: {
    about: 'POST /hooks/alertmanager throughput against a bare fastify route',
    load: async () => (await import('./receiver.ts')).receiverBench,
  },
};

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(
      `npm run bench [-- <name> [options]]\n\n${Object.entries(BENCHMARKS)
        .map(([name, b]) => `  ${name.padEnd(10)} ${b.about}`)
        .join('\n')}\n\nOptions are described at the top of each bench/<name>.ts.\n`,
    );
    return 0;
  }
  const named = argv[0] !== undefined && !argv[0].startsWith('-') ? argv[0] : undefined;
  if (named !== undefined && !(named in BENCHMARKS)) {
    process.stderr.write(`unknown benchmark "${named}"; one of ${Object.keys(BENCHMARKS).join(', ')}\n`);
    return 2;
  }
  const selected = named ? [named] : Object.keys(BENCHMARKS);
  const args = named ? argv.slice(1) : argv;
  let failed = 0;
  for (const name of selected) {
    progress(`== ${name}: ${BENCHMARKS[name]?.about}`);
    try {
      await (await (BENCHMARKS[name] as { load: () => Promise<Bench> }).load())(args);
    } catch (error) {
      failed++;
      process.stderr.write(`${name} failed: ${(error as Error).stack ?? error}\n`);
    } finally {
      await cleanupAll();
    }
  }
  return failed ? 1 : 0;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    progress(`${signal}: stopping servers and removing temp dirs`);
    void cleanupAll().then(() => process.exit(130));
  });
}

process.exitCode = await main(process.argv.slice(2));
