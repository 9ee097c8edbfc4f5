import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { EXTERNAL_URL, writeKubernetesExample } from '../scripts/kubernetes-example.ts';
import { SiteUrls } from '../src/conventions/urls.ts';
import { alertmanagerSnippet } from '../src/outputs/alertmanager/snippet.ts';
import { loadSpecs } from '../src/spec/load.ts';
import { burnbook } from './support/cli.ts';
import { coreProblems, crdValidator } from './support/kubernetes.ts';
import { requireTool } from './support/tools.ts';

/**
 * The Kubernetes side: `generate --format prometheus-rule` and `--format mimir`, and deploy/kubernetes/, each
 * object validated against its schema (prometheus-operator's CRDs, Kubernetes' own), and the rule groups
 * inside checked by promtool.
 */

const prometheusRule = crdValidator('PrometheusRule-v1.json');
const alertmanagerConfig = crdValidator('AlertmanagerConfig-v1alpha1.json');

function scratch(): string {
  return mkdtempSync(join(tmpdir(), 'burnbook-k8s-'));
}

/** promtool check rules on the plain rule file inside each wrapped file; its output when any fails. */
function promtoolOnGroups(files: string[], groupsOf: (doc: Record<string, unknown>) => unknown): string {
  const dir = scratch();
  const plain = files.map((file, i) => {
    const path = join(dir, `${i}.yaml`);
    writeFileSync(path, JSON.stringify({ groups: groupsOf(parse(readFileSync(file, 'utf8'))) }));
    return path;
  });
  const run = spawnSync(requireTool('promtool'), ['check', 'rules', ...plain], { encoding: 'utf8' });
  return run.status === 0 ? '' : `${run.stdout}${run.stderr}`;
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => join(dir, f))
    .sort();
}

describe('generate --format prometheus-rule', () => {
  it('writes one PrometheusRule per service that the CRD schema accepts, with the name, namespace and labels asked for', () => {
    const out = scratch();
    const run = burnbook([
      'generate',
      'slos/',
      '--format',
      'prometheus-rule',
      '--out',
      out,
      '--rule-namespace',
      'observability',
      '--rule-label',
      'release=kube-prometheus-stack',
      '--rule-label',
      'role=alert-rules',
      '--rule-name-prefix',
      'slo-',
    ]);
    expect(run.code, run.all).toBe(0);
    expect(run.stdout).toContain('3 PrometheusRule objects for 5 SLOs');
    const files = yamlFiles(out);
    expect(files.map((f) => f.slice(out.length + 1))).toEqual([
      'checkout.yaml',
      'ledger.yaml',
      'search.yaml',
    ]);
    for (const file of files) {
      const object = parse(readFileSync(file, 'utf8'));
      expect(prometheusRule(object), file).toEqual([]);
      expect(object.metadata.namespace).toBe('observability');
      expect(object.metadata.labels).toEqual({
        'app.kubernetes.io/managed-by': 'burnbook',
        release: 'kube-prometheus-stack',
        role: 'alert-rules',
      });
      expect(object.metadata.name).toMatch(/^slo-(checkout|ledger|search)$/);
    }
    expect(promtoolOnGroups(files, (d) => (d.spec as { groups: unknown }).groups)).toBe('');
    // The groups are the plain rule files' groups, wrapped.
    const plain = scratch();
    expect(burnbook(['generate', 'slos/', '--out', plain]).code).toBe(0);
    const wrapped = parse(readFileSync(join(out, 'search.yaml'), 'utf8'));
    expect(wrapped.spec.groups).toEqual(parse(readFileSync(join(plain, 'search.yaml'), 'utf8')).groups);
  });

  it('the schema check can fail: an unknown field, a bad for, a missing group name', () => {
    const object = parse(readFileSync(join('deploy/kubernetes/prometheusrules/checkout.yaml'), 'utf8'));
    expect(prometheusRule(object)).toEqual([]);
    const broken = structuredClone(object);
    broken.spec.groups[0].rules[0].recrod = 'x';
    broken.spec.groups[0].rules.at(-1).for = '2 minutes';
    delete broken.spec.groups[1].name;
    const problems = prometheusRule(broken).join('\n');
    expect(problems).toContain('must NOT have additional properties');
    expect(problems).toContain('/spec/groups/0/rules/');
    expect(problems).toContain('must match pattern');
    expect(problems).toContain("must have required property 'name'");
  });

  it('refuses a label Kubernetes would refuse, and an unknown format, before reading any spec', () => {
    const bad = burnbook([
      'generate',
      'slos/',
      '--format',
      'prometheus-rule',
      '--rule-label',
      'team',
      '--out',
      scratch(),
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--rule-label team: expected key=value');
    const unknown = burnbook(['generate', 'slos/', '--format', 'thanos', '--out', scratch()]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('--format thanos: expected prometheus, prometheus-rule or mimir');
  });
});

describe('generate --format mimir', () => {
  it('writes one mimirtool namespace per service whose groups promtool accepts', () => {
    const out = scratch();
    const run = burnbook(['generate', 'slos/', '--format', 'mimir', '--out', out]);
    expect(run.code, run.all).toBe(0);
    const files = yamlFiles(out);
    expect(files).toHaveLength(3);
    for (const file of files) {
      const doc = parse(readFileSync(file, 'utf8'));
      // mimirtool's RuleNamespace: namespace and groups, nothing else; group names unique in a namespace.
      expect(Object.keys(doc)).toEqual(['namespace', 'groups']);
      expect(file.endsWith(`/${doc.namespace}.yaml`)).toBe(true);
      const names = doc.groups.map((g: { name: string }) => g.name);
      expect(new Set(names).size).toBe(names.length);
    }
    expect(promtoolOnGroups(files, (d) => d.groups)).toBe('');
  });
});

describe('deploy/kubernetes', () => {
  const dir = 'deploy/kubernetes';
  const objects = [...yamlFiles(dir), ...yamlFiles(join(dir, 'prometheusrules'))].flatMap((file) =>
    parseAllDocuments(readFileSync(file, 'utf8')).map((d) => ({ file, object: d.toJS() })),
  );

  it('is what `npm run example:kubernetes` writes from slos/ now', () => {
    const fresh = scratch();
    writeKubernetesExample(fresh);
    expect(readFileSync(join(fresh, 'configmap-slos.yaml'), 'utf8')).toBe(
      readFileSync(join(dir, 'configmap-slos.yaml'), 'utf8'),
    );
    for (const file of yamlFiles(join(fresh, 'prometheusrules'))) {
      const name = file.slice(fresh.length + 1);
      expect(readFileSync(file, 'utf8'), `${name}: run npm run example:kubernetes`).toBe(
        readFileSync(join(dir, name), 'utf8'),
      );
    }
  });

  it('holds a ConfigMap, Deployment, Service, PVC, PrometheusRules and an AlertmanagerConfig, each valid against its schema', async () => {
    const kinds = objects.map((o) => o.object.kind).sort();
    expect(new Set(kinds)).toEqual(
      new Set([
        'AlertmanagerConfig',
        'ConfigMap',
        'Deployment',
        'PersistentVolumeClaim',
        'PrometheusRule',
        'Service',
      ]),
    );
    for (const { file, object } of objects) {
      const problems =
        object.kind === 'PrometheusRule'
          ? prometheusRule(object)
          : object.kind === 'AlertmanagerConfig'
            ? alertmanagerConfig(object)
            : await coreProblems(object);
      expect(problems, file).toEqual([]);
    }
    // And the core validator can fail too.
    const deployment = objects.find((o) => o.object.kind === 'Deployment')?.object;
    expect(await coreProblems({ ...deployment, spec: { ...deployment.spec, replicas: 'one' } })).not.toEqual(
      [],
    );
  });

  it('wires together: the ConfigMap holds valid specs the Deployment mounts, the webhook is the Service', () => {
    const configMap = objects.find((o) => o.object.kind === 'ConfigMap')?.object;
    const specs = scratch();
    for (const [name, text] of Object.entries(configMap.data as Record<string, string>)) {
      writeFileSync(join(specs, name), text);
    }
    const cwd = process.cwd();
    const loaded = loadSpecs([specs]);
    expect(loaded.errors).toEqual([]);
    expect(loaded.slos.length).toBe(loadSpecs([join(cwd, 'slos')]).slos.length);
    const deployment = objects.find((o) => o.object.kind === 'Deployment')?.object;
    const pod = deployment.spec.template.spec;
    expect(pod.volumes.find((v: { configMap?: { name: string } }) => v.configMap)?.configMap.name).toBe(
      configMap.metadata.name,
    );
    expect(pod.containers[0].args.slice(0, 2)).toEqual(['serve', '/etc/burnbook/slos']);
    const service = objects.find((o) => o.object.kind === 'Service')?.object;
    const amc = objects.find((o) => o.object.kind === 'AlertmanagerConfig')?.object;
    expect(amc.spec.receivers[0].webhookConfigs[0].url).toBe(
      `http://${service.metadata.name}.${service.metadata.namespace}.svc:${service.spec.ports[0].port}/hooks/alertmanager`,
    );
  });

  it('groups and inhibits as the generated Alertmanager snippet of slos/ does: same labels, same rules, none per SLO', () => {
    const amc = parseAllDocuments(readFileSync('deploy/kubernetes/alertmanagerconfig.yaml', 'utf8'))
      .map((d) => d.toJS())
      .find((o) => o?.kind === 'AlertmanagerConfig');
    const snippet = alertmanagerSnippet(loadSpecs(['slos']).slos, new SiteUrls(EXTERNAL_URL));
    expect(amc.spec.route.groupBy).toEqual(snippet.route.routes[0]?.group_by);
    // The CRD spells `slo_tier=~"a|b"` as {name, matchType, value}; matchType "=" is the default.
    const asText = (m: { name: string; matchType?: string; value: string }) =>
      `${m.name}${m.matchType ?? '='}"${m.value}"`;
    expect(
      amc.spec.inhibitRules.map((r: Record<string, never[]>) => ({
        source_matchers: r.sourceMatch?.map(asText),
        target_matchers: r.targetMatch?.map(asText),
        equal: r.equal,
      })),
    ).toEqual(snippet.inhibit_rules);
  });
});
