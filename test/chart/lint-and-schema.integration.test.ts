import { describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { chartDir, ciValueFiles, helm, renderText } from './helm.ts';

describe('the chart, linted and validated by helm', () => {
  it('passes `helm lint --strict` with the default values', async () => {
    const result = await helm('lint', '--strict', chartDir);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
    expect(result.code).toBe(0);
  });

  it.each(ciValueFiles)('passes `helm lint --strict` with ci/%s', async (file) => {
    const result = await helm('lint', '--strict', chartDir, '--values', join(chartDir, 'ci', file));
    expect(result.stdout).toContain('0 chart(s) failed');
    expect(result.code).toBe(0);
  });

  it('has at least a minimal, an everything-on and an existing-secrets value set in ci/', () => {
    expect(ciValueFiles).toEqual(
      expect.arrayContaining([
        'minimal-values.yaml',
        'everything-on-values.yaml',
        'existing-secrets-values.yaml',
      ]),
    );
  });
});

describe("the chart's kubeVersion", () => {
  it('is met by the Kubernetes version helm renders for (built with the ldflags of its Makefile)', async () => {
    const result = await helm('version', '--template', '{{.Version}}');
    expect(result.stdout).toBe('v3.22.0');
    // A helm built without them renders for v1.20 and refuses this chart (kubeVersion >=1.30).
    await expect(renderText()).resolves.toContain('kind: CustomResourceDefinition');
  });

  it('refuses a cluster older than 1.30 with a message naming it', async () => {
    const result = await helm('template', 'boxoffice', chartDir, '--kube-version', '1.29.4');
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(
      'chart requires kubeVersion: >=1.30.0-0 which is incompatible with Kubernetes v1.29.4',
    );
  });
});

describe('values refused by the schema', () => {
  const refusal = async (...set: string[]): Promise<string> => {
    const result = await helm('template', 'boxoffice', chartDir, ...set.flatMap((s) => ['--set', s]));
    expect(result.code).not.toBe(0);
    expect(result.stdout).toBe('');
    return result.stderr;
  };

  it('name the mistyped value and the type it must have', async () => {
    const message = await refusal('purchaseApi.replicas=two');
    expect(message).toContain("values don't meet the specifications of the schema(s)");
    expect(message).toContain("at '/purchaseApi/replicas': got string, want integer");
  });

  it('name an unknown (misspelt) key and where it is', async () => {
    const message = await refusal('purchaseApi.replica=3');
    expect(message).toContain("at '/purchaseApi': additional properties 'replica' not allowed");
  });

  it('refuse unknown keys at the top level and deep inside', async () => {
    expect(await refusal('ingres.enabled=true')).toContain("additional properties 'ingres' not allowed");
    expect(await refusal('operator.allocators.securityContext.capabilitis.drop={ALL}')).toContain(
      "at '/operator/allocators/securityContext': additional properties 'capabilitis' not allowed",
    );
  });

  it('refuse a value outside its enumeration or pattern', async () => {
    expect(await refusal('image.pullPolicy=Sometimes')).toContain("at '/image/pullPolicy'");
    expect(await refusal('image.digest=sha256:abc')).toContain(
      "at '/image/digest': 'sha256:abc' does not match pattern",
    );
    expect(await refusal('ingress.routes[0].service=allocator')).toContain("at '/ingress/routes/0/service'");
  });

  it('accept `global` (values a parent chart shares)', async () => {
    await expect(renderText({ set: { 'global.imageRegistry': 'registry.example.com' } })).resolves.toContain(
      'kind: Deployment',
    );
  });
});
