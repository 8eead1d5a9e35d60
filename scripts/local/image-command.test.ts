import { describe, expect, it } from '@jest/globals';
import { SERVICES } from '../../images/services.ts';
import { boxofficeImageCommand, containerArgv, parseDockerfile } from './image-command.ts';

describe("the image's command, for the local runtime", () => {
  it("is read from the Dockerfile's final stage: node images/entrypoint.ts, allocator by default", () => {
    expect(boxofficeImageCommand()).toEqual({
      entrypoint: ['node', 'images/entrypoint.ts'],
      cmd: ['allocator'],
      workdir: '/app',
    });
    expect(Object.keys(SERVICES)).toContain(boxofficeImageCommand().cmd[0]);
  });

  it('takes the last ENTRYPOINT and CMD of the last stage only', () => {
    const image = parseDockerfile(
      [
        'FROM base AS build',
        'CMD ["build"]',
        'FROM base',
        'WORKDIR /srv',
        'ENTRYPOINT ["a"]',
        'ENTRYPOINT ["b"]',
      ].join('\n'),
    );
    expect(image).toEqual({ entrypoint: ['b'], cmd: [], workdir: '/srv' });
    expect(() => parseDockerfile('FROM base\nCMD node main.js')).toThrow(/exec form/);
  });

  it('follows Kubernetes: args replace CMD, command replaces ENTRYPOINT and drops CMD', () => {
    const image = { entrypoint: ['node', 'images/entrypoint.ts'], cmd: ['allocator'], workdir: '/app' };
    expect(containerArgv(image, {})).toEqual(['node', 'images/entrypoint.ts', 'allocator']);
    expect(containerArgv(image, { args: ['operator'] })).toEqual([
      'node',
      'images/entrypoint.ts',
      'operator',
    ]);
    expect(containerArgv(image, { command: ['node', 'other.ts'] })).toEqual(['node', 'other.ts']);
    expect(containerArgv(image, { command: ['node'], args: ['x.ts'] })).toEqual(['node', 'x.ts']);
  });
});
