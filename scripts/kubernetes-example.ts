/**
 * Writes the generated half of deploy/kubernetes/ from slos/: the ConfigMap holding the specs and the
 * PrometheusRule objects `burnbook generate --format prometheus-rule` makes of them. The Deployment, Service,
 * PersistentVolumeClaim and AlertmanagerConfig beside them are written by hand.
 *
 *   npm run example:kubernetes [-- <dir>]      (default deploy/kubernetes; test/kubernetes-example.test.ts
 *                                               fails while the committed folder is stale)
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toYaml } from '../src/outputs/yaml.ts';

export const NAMESPACE = 'monitoring';
export const EXTERNAL_URL = 'https://burnbook.example.com';
export const RULE_LABELS = ['release=kube-prometheus-stack'];

export function writeKubernetesExample(dir: string): void {
  const specs = readdirSync('slos')
    .filter((f) => /\.ya?ml$/.test(f))
    .sort();
  const configMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'burnbook-slos', namespace: NAMESPACE, labels: { 'app.kubernetes.io/name': 'burnbook' } },
    data: Object.fromEntries(specs.map((f) => [f, readFileSync(join('slos', f), 'utf8')])),
  };
  const header = '# Generated from slos/ by `npm run example:kubernetes`. Do not edit: change slos/ and run it again.\n';
  writeFileSync(join(dir, 'configmap-slos.yaml'), header + toYaml(configMap));
  const run = spawnSync(
    process.execPath,
    [
      'bin/burnbook.js',
      'generate',
      'slos/',
      '--format',
      'prometheus-rule',
      '--out',
      join(dir, 'prometheusrules'),
      '--rule-namespace',
      NAMESPACE,
      ...RULE_LABELS.flatMap((l) => ['--rule-label', l]),
      '--external-url',
      EXTERNAL_URL,
    ],
    { encoding: 'utf8' },
  );
  if (run.status !== 0) throw new Error(`burnbook generate failed:\n${run.stdout}${run.stderr}`);
}

if (process.argv[1]?.endsWith('kubernetes-example.ts')) writeKubernetesExample(process.argv[2] ?? 'deploy/kubernetes');
