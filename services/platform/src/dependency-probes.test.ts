import { describe, expect, it } from '@jest/globals';
import { Registry } from 'prom-client';
import { probeDependencies } from './dependency-probes.ts';

async function upValues(registry: Registry): Promise<Record<string, number>> {
  const metric = await registry.getSingleMetric('boxoffice_dependency_up')!.get();
  return Object.fromEntries(metric.values.map((v) => [String(v.labels.dependency), v.value]));
}

describe('dependency probes', () => {
  it('report 1 for a dependency that answers and 0 for one that fails', async () => {
    const registry = new Registry();
    const probes = probeDependencies(registry, {
      postgresql: async () => 1,
      redis: async () => {
        throw new Error('ECONNREFUSED');
      },
    });
    await probes.probe();
    await probes.stop();
    expect(await upValues(registry)).toEqual({ postgresql: 1, redis: 0 });
  });

  it('count a probe that outlives its timeout as down, and start no second one while it hangs', async () => {
    const registry = new Registry();
    let calls = 0;
    let answer: () => void = () => undefined;
    const probes = probeDependencies(
      registry,
      {
        kafka: () => {
          calls++;
          return new Promise<void>((resolve) => (answer = resolve));
        },
      },
      { intervalMs: 60_000, timeoutMs: 20 },
    );
    await probes.probe();
    expect(await upValues(registry)).toEqual({ kafka: 0 });
    await probes.probe();
    expect(calls).toBe(1);

    answer();
    await new Promise((resolve) => setImmediate(resolve));
    await probes.probe();
    await probes.stop();
    expect(calls).toBe(2);
  });

  it('go back to 1 once the dependency answers again', async () => {
    const registry = new Registry();
    let healthy = false;
    const probes = probeDependencies(registry, {
      redis: async () => {
        if (!healthy) throw new Error('down');
      },
    });
    await probes.probe();
    expect(await upValues(registry)).toEqual({ redis: 0 });
    healthy = true;
    await probes.probe();
    await probes.stop();
    expect(await upValues(registry)).toEqual({ redis: 1 });
  });
});
