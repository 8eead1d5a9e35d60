/**
 * What skaffold would do with skaffold.yaml, done for real without skaffold (it cannot be built on
 * these machines): its Helm release rendered by `helm template` with the arguments skaffold's Helm
 * deployer passes, per profile, and the buildah profile's build command run as skaffold runs a
 * custom builder. The schema and path checks are unit tests (scripts/skaffold/config.test.ts).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from '@jest/globals';
import { uniqueName } from '@boxoffice/testkit';
import { repoRoot } from '../../scripts/deps/paths.ts';
import { podman } from '../../scripts/images/containers.ts';
import {
  helmTemplateArgs,
  imageVariables,
  readSkaffoldConfig,
  withProfiles,
} from '../../scripts/skaffold/config.ts';
import { find, helm, plainEnv, podTemplate, type KubeObject } from '../chart/helm.ts';
import { parseAllDocuments } from 'yaml';

const config = readSkaffoldConfig();

/** The environment a developer gives skaffold (README "Develop with skaffold"), as the pods reach the servers. */
const developerEnv = {
  DATABASE_URL: 'postgres://boxoffice:secret@postgresql.databases.svc:5432/boxoffice',
  REDIS_URL: 'redis://redis.databases.svc:6379',
  KAFKA_BOOTSTRAP_SERVER: 'kafka-0.kafka.svc:9092',
  JWT_SECRET: 'a-jwt-secret-of-at-least-32-characters',
  WEBHOOK_SECRET: 'a-webhook-secret-for-dev',
};

/** What a local build gives the deployer (no digest) and what a pushed one gives (a digest). */
const localImage = { repository: 'boxoffice', tag: 'a1b2c3d-dirty' };
const pushedImage = {
  repository: 'registry.example.com/team/boxoffice',
  tag: 'a1b2c3d',
  digest: `sha256:${'c'.repeat(64)}`,
};

async function renderRelease(profiles: string[], image: typeof pushedImage | typeof localImage) {
  const effective = withProfiles(config, profiles);
  const [release] = effective.deploy.helm.releases;
  const env = { ...developerEnv, ...imageVariables(effective.build.artifacts[0]!.image, image) };
  const result = await helm(...helmTemplateArgs(release!, env));
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  const objects = parseAllDocuments(result.stdout)
    .map((document) => document.toJS() as KubeObject | null)
    .filter((object): object is KubeObject => object !== null);
  return { objects, effective };
}

const containerOf = (objects: KubeObject[], component: string) =>
  podTemplate(find(objects, 'Deployment', `-${component}`)).spec.containers[0]!;

describe("skaffold.yaml's Helm release, rendered with the values skaffold sets", () => {
  it.each([[[]], [['buildah']]])(
    'deploys the image just built to every component and to the allocators, with profiles %j',
    async (profiles) => {
      const { objects } = await renderRelease(profiles, localImage);
      for (const component of ['operator', 'purchase-api', 'query-api'])
        expect(containerOf(objects, component).image).toBe('boxoffice:a1b2c3d-dirty');
      expect(plainEnv(containerOf(objects, 'operator')).ALLOCATOR_IMAGE).toBe('boxoffice:a1b2c3d-dirty');
    },
  );

  it('connects the platform to the servers named in the environment', async () => {
    const { objects } = await renderRelease([], localImage);
    const secret = find(objects, 'Secret') as unknown as { data: Record<string, string> };
    const decoded = (key: string) => Buffer.from(secret.data[key]!, 'base64').toString();
    expect(decoded('DATABASE_URL')).toBe(developerEnv.DATABASE_URL);
    expect(decoded('REDIS_URL')).toBe(developerEnv.REDIS_URL);
    expect(decoded('JWT_SECRET')).toBe(developerEnv.JWT_SECRET);
    expect(decoded('WEBHOOK_SECRET')).toBe(developerEnv.WEBHOOK_SECRET);
    expect(plainEnv(containerOf(objects, 'purchase-api')).KAFKA_BROKERS).toBe('kafka-0.kafka.svc:9092');
  });

  it.each([[['dev']], [['dev', 'buildah']]])(
    'runs one replica of everything with debug logs and no autoscalers or budgets, with profiles %j',
    async (profiles) => {
      const { objects } = await renderRelease(profiles, localImage);
      for (const component of ['operator', 'purchase-api', 'query-api']) {
        expect(find(objects, 'Deployment', `-${component}`).spec).toMatchObject({ replicas: 1 });
        expect(plainEnv(containerOf(objects, component)).LOG_LEVEL).toBe('debug');
      }
      expect(objects.map((o) => o.kind)).not.toContain('HorizontalPodAutoscaler');
      expect(objects.map((o) => o.kind)).not.toContain('PodDisruptionBudget');
    },
  );

  it('port-forwards to Services the release has, on their ports (profile dev)', async () => {
    const { objects, effective } = await renderRelease(['dev'], localImage);
    expect(effective.portForward).toHaveLength(2);
    for (const forward of effective.portForward!) {
      const service = objects.find(
        (o) =>
          o.kind === 'Service' &&
          o.metadata.name === forward.resourceName &&
          o.metadata.namespace === forward.namespace,
      ) as unknown as { spec: { ports: { port: number }[] } } | undefined;
      expect(service?.spec.ports.map((p) => p.port)).toContain(forward.port);
    }
  });

  it("pins the pushed image by digest and keeps the chart's production defaults (profile ci)", async () => {
    const { objects } = await renderRelease(['ci'], pushedImage);
    const pinned = `registry.example.com/team/boxoffice@${pushedImage.digest}`;
    expect(containerOf(objects, 'query-api').image).toBe(pinned);
    expect(plainEnv(containerOf(objects, 'operator')).ALLOCATOR_IMAGE).toBe(pinned);
    expect(objects.filter((o) => o.kind === 'HorizontalPodAutoscaler')).toHaveLength(2);
    expect(find(objects, 'Deployment', '-operator').spec).toMatchObject({ replicas: 2 });
  });
});

describe("the buildah profile's custom builder", () => {
  const image = `localhost/boxoffice-skaffold-test:${uniqueName('build')}`;

  afterAll(async () => {
    // Only the test's tag: the layers stay, shared with localhost/boxoffice:dev.
    await podman(['rmi', image]).catch(() => undefined);
  });

  it('builds the image as skaffold calls it: sh -c <buildCommand> in the workspace, with $IMAGE and $PUSH_IMAGE', async () => {
    const artifact = withProfiles(config, ['buildah']).build.artifacts[0]!;
    const { stderr } = await promisify(execFile)('sh', ['-c', artifact.custom!.buildCommand], {
      cwd: repoRoot,
      env: { ...process.env, IMAGE: image, PUSH_IMAGE: 'false', BUILD_CONTEXT: repoRoot },
      maxBuffer: 64 * 1024 * 1024,
    });
    expect(stderr).toContain(`built ${image}`);
    const [inspected] = JSON.parse(await podman(['image', 'inspect', image])) as [
      { Config: { Entrypoint: string[]; Cmd: string[]; User: string } },
    ];
    expect(inspected.Config).toMatchObject({
      Entrypoint: ['node', 'images/entrypoint.ts'],
      Cmd: ['allocator'],
      User: '1000:1000',
    });
  }, 900_000);
});
