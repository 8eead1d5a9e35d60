import { describe, expect, it } from '@jest/globals';
import { HostPorts, withHostPorts } from './host-ports.ts';

const allocator = { name: 'allocator', ports: [{ name: 'http', containerPort: 8082 }] };

/** A machine where `busy` ports are in use and free ports are handed out from 40000 up. */
function machine(busy: number[] = []) {
  let next = 40_000;
  return new HostPorts(
    async (port) => !busy.includes(port),
    async () => next++,
  );
}

describe('container ports on the shared host network', () => {
  it('keeps a container port that is free, and moves the same port of a second pod', async () => {
    const ports = machine();
    const first = await ports.plan(allocator);
    const second = await ports.plan(allocator);
    expect(first.hostPorts).toEqual(new Map([[8082, 8082]]));
    expect(second.hostPorts).toEqual(new Map([[8082, 40_000]]));
  });

  it('moves a port something else on the machine listens on', async () => {
    expect((await machine([8080]).plan({ name: 'api', ports: [{ containerPort: 8080 }] })).hostPorts).toEqual(
      new Map([[8080, 40_000]]),
    );
  });

  it('gives a released port to the next pod', async () => {
    const ports = machine();
    ports.release(await ports.plan(allocator));
    expect((await ports.plan(allocator)).hostPorts).toEqual(new Map([[8082, 8082]]));
  });

  it('tells a moved process its port through the env vars that carry the container port', () => {
    const { env, moved } = withHostPorts(
      { PORT: '8082', EVENT_NAME: 'gala', RETRIES: '8082x' },
      { hostPorts: new Map([[8082, 40_000]]) },
    );
    expect(env).toEqual({ PORT: '40000', EVENT_NAME: 'gala', RETRIES: '8082x' });
    expect(moved).toEqual([{ containerPort: 8082, hostPort: 40_000, variables: ['PORT'] }]);
    expect(withHostPorts({ PORT: '8082' }, { hostPorts: new Map([[8082, 8082]]) })).toEqual({
      env: { PORT: '8082' },
      moved: [],
    });
  });
});
