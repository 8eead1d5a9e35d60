import { execFile } from 'node:child_process';
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from '@jest/globals';
import { Ajv, type ValidateFunction } from 'ajv';
import { repoRoot } from '../deps/paths.ts';
import { buildPlan, hostPlatform } from './build-plan.ts';
import {
  namedPaths,
  profileNames,
  readSkaffoldConfig,
  skaffoldSchemaDir,
  templateVariables,
  withProfiles,
} from './config.ts';

const config = readSkaffoldConfig();

/** skaffold's JSON schema for a config version (draft-07), read from the shared third-party folder. */
function schemaFor(apiVersion: string): ValidateFunction {
  const version = apiVersion.replace(/^skaffold\//, '');
  const schema = JSON.parse(readFileSync(join(skaffoldSchemaDir, `${version}.json`), 'utf8')) as object;
  const ajv = new Ajv({ allErrors: true, strict: true });
  // skaffold's annotations for editors, not validation keywords.
  ajv.addVocabulary(['preferredOrder', 'x-intellij-html-description', 'x-intellij-enum-metadata']);
  return ajv.compile(schema);
}

const validate = schemaFor(config.apiVersion);
const problems = (candidate: unknown) =>
  validate(candidate)
    ? []
    : validate.errors!.map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);

/** Every way the file is used: no profile, each profile, and the developer's combination without Docker. */
const profileSets: string[][] = [[], ...profileNames(config).map((name) => [name]), ['dev', 'buildah']];

describe('skaffold.yaml', () => {
  it('is at the newest config version of skaffold v2 (v4beta14)', () => {
    expect(config).toMatchObject({ apiVersion: 'skaffold/v4beta14', kind: 'Config' });
  });

  it.each(profileSets.map((names) => [names.join(',') || 'no profile', names]))(
    "validates against skaffold's published JSON schema for its apiVersion, with %s",
    (_name, names) => {
      expect(problems(withProfiles(config, names as string[]))).toEqual([]);
    },
  );

  it('is refused by that schema when a key is misspelt or of the wrong type (so the check above can fail)', () => {
    const misspelt = structuredClone(config) as unknown as { deploy: { helm: { releases: object[] } } };
    misspelt.deploy.helm.releases[0] = { ...misspelt.deploy.helm.releases[0], chartpath: 'charts/boxoffice' };
    expect(problems(misspelt)).toContainEqual(expect.stringContaining('"additionalProperty":"chartpath"'));
    const mistyped = withProfiles(config, ['ci']) as unknown as {
      deploy: { statusCheckDeadlineSeconds: unknown };
    };
    mistyped.deploy.statusCheckDeadlineSeconds = 'ten minutes';
    expect(problems(mistyped)).toContainEqual(
      expect.stringContaining('/deploy/statusCheckDeadlineSeconds must be integer'),
    );
  });

  it.each(profileSets.map((names) => [names.join(',') || 'no profile', names]))(
    'names only paths that exist, with %s',
    (_name, names) => {
      const missing = namedPaths(withProfiles(config, names as string[])).filter(({ path, is }) => {
        const absolute = join(repoRoot, path);
        try {
          const stat = statSync(absolute);
          if (is === 'directory') return !stat.isDirectory();
          if (is === 'executable') accessSync(absolute, constants.X_OK);
          return !stat.isFile();
        } catch {
          return true;
        }
      });
      expect(missing).toEqual([]);
    },
  );

  it('names the chart, the Dockerfile and, in profile buildah, the build script and its runner', () => {
    const paths = (names: string[]) => namedPaths(withProfiles(config, names)).map(({ path }) => path);
    expect(paths([])).toEqual(expect.arrayContaining(['charts/boxoffice/Chart.yaml', 'Dockerfile']));
    expect(paths(['buildah'])).toEqual(
      expect.arrayContaining(['scripts/with-node24.sh', 'scripts/skaffold/build-image.ts', 'Dockerfile']),
    );
  });

  it('deploys the image it builds: the Helm release takes the artifact’s repository, tag and digest', () => {
    const [artifact] = config.build.artifacts;
    const templates = config.deploy.helm.releases[0]!.setValueTemplates!;
    expect(artifact!.image).toBe('boxoffice');
    expect(templates).toMatchObject({
      'image.repository': '{{.IMAGE_REPO_boxoffice}}',
      'image.tag': '{{.IMAGE_TAG_boxoffice}}',
      'image.digest': '{{.IMAGE_DIGEST_boxoffice}}',
    });
  });

  it('builds with Docker by default and with the project’s buildah build in profile buildah', () => {
    expect(config.build.artifacts[0]).toMatchObject({ docker: { dockerfile: 'Dockerfile' } });
    const buildah = withProfiles(config, ['buildah']).build.artifacts[0]!;
    expect(buildah).not.toHaveProperty('docker');
    expect(buildah.custom?.buildCommand).toBe('scripts/with-node24.sh node scripts/skaffold/build-image.ts');
  });

  it('gives developers one replica of everything, debug logs and both APIs on localhost (profile dev)', () => {
    const dev = withProfiles(config, ['dev']);
    expect(dev.deploy.helm.releases[0]!.setValues).toMatchObject({
      logLevel: 'debug',
      'operator.replicas': 1,
      'purchaseApi.replicas': 1,
      'purchaseApi.autoscaling.enabled': false,
      'queryApi.replicas': 1,
      'queryApi.autoscaling.enabled': false,
    });
    expect(dev.portForward?.map((p) => [p.resourceName, p.localPort])).toEqual([
      ['boxoffice-purchase-api', 8080],
      ['boxoffice-query-api', 8081],
    ]);
  });

  it('builds immutable, pushed images in CI and fails the run unless the release becomes ready (profile ci)', () => {
    const ci = withProfiles(config, ['ci']);
    expect(ci.build).toMatchObject({ tagPolicy: { gitCommit: {} }, local: { push: true } });
    expect(ci.deploy.helm.releases[0]).toMatchObject({ wait: true });
    expect(ci.deploy.statusCheckDeadlineSeconds).toBeGreaterThan(0);
  });

  it('reads from the environment only what the README tells a developer to set', () => {
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Develop with skaffold'));
    const variables = Object.entries(config.deploy.helm.releases[0]!.setValueTemplates!)
      .flatMap(([key, template]) => [...templateVariables(key), ...templateVariables(template)])
      .filter((name) => !name.startsWith('IMAGE_'));
    expect(variables.length).toBeGreaterThan(0);
    for (const name of variables) expect([name, section.includes(name)]).toEqual([name, true]);
  });
});

describe("the buildah profile's build script", () => {
  const buildCommand = withProfiles(config, ['buildah']).build.artifacts[0]!.custom!.buildCommand;

  it("follows skaffold's contract: builds $IMAGE, pushes when $PUSH_IMAGE is true (dry run, as skaffold calls it)", async () => {
    const run = (env: Record<string, string>) =>
      promisify(execFile)('sh', ['-c', `${buildCommand} --dry-run`], {
        cwd: repoRoot,
        env: { ...process.env, BUILD_CONTEXT: repoRoot, ...env },
      });
    const local = await run({ IMAGE: 'boxoffice:4f2a9c1', PUSH_IMAGE: 'false' });
    expect(JSON.parse(local.stdout)).toEqual({ image: 'boxoffice:4f2a9c1', push: false, context: repoRoot });
    const pushed = await run({ IMAGE: 'registry.example.com/team/boxoffice:v1', PUSH_IMAGE: 'true' });
    expect(JSON.parse(pushed.stdout)).toMatchObject({
      image: 'registry.example.com/team/boxoffice:v1',
      push: true,
    });
    await expect(run({ IMAGE: '', PUSH_IMAGE: 'false' })).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('IMAGE is not set'),
    });
    // Three node processes start here; on a loaded 2-core machine that alone can pass jest's 5 s default.
  }, 60_000);

  it('refuses a platform other than this machine’s (buildah builds for the host only)', () => {
    const env = { IMAGE: 'boxoffice:1', PUSH_IMAGE: 'false' };
    expect(buildPlan({ ...env, PLATFORMS: hostPlatform() }, repoRoot).image).toBe('boxoffice:1');
    const other = hostPlatform() === 'linux/amd64' ? 'linux/arm64' : 'linux/amd64';
    expect(() => buildPlan({ ...env, PLATFORMS: `${hostPlatform()},${other}` }, repoRoot)).toThrow(other);
    expect(() => buildPlan({ ...env, PUSH_IMAGE: 'yes' }, repoRoot)).toThrow(/PUSH_IMAGE/);
  });
});
