import { describe, expect, it } from '@jest/globals';
import type { CoreV1Api, V1Pod } from '@kubernetes/client-node';
import { apiMessage, reportedReady, reportPodStatus, type ContainerReport } from './pod-status.ts';

const earlier = new Date('2026-01-01T00:00:00Z');
/** A pod as KWOK left it: Running, Ready at once. */
const pod: V1Pod = {
  metadata: { name: 'api-1', namespace: 'platform' },
  spec: { containers: [{ name: 'api', image: 'localhost/boxoffice:dev' }] },
  status: {
    phase: 'Running',
    conditions: [
      { type: 'Ready', status: 'True', lastTransitionTime: earlier },
      { type: 'ContainersReady', status: 'True', lastTransitionTime: earlier },
    ],
    containerStatuses: [
      { name: 'api', image: 'localhost/boxoffice:dev', imageID: '', ready: true, restartCount: 0 },
    ],
  },
};

/** The status patch the report sends, as the API server would receive it. */
async function reportOf(pod: V1Pod, containers: ContainerReport[]) {
  let sent: { name: string; namespace: string; body: { status: Record<string, unknown> } } | undefined;
  const core = {
    patchNamespacedPodStatus: async (request: typeof sent) => void (sent = request),
  } as unknown as CoreV1Api;
  await reportPodStatus(core, pod, containers);
  return sent!;
}

describe("the runner's report of a pod's status", () => {
  it('says not ready, naming the container, until its readiness probe passes (whatever KWOK said)', async () => {
    expect(reportedReady(pod)).toBe(true);
    const sent = await reportOf(pod, [{ name: 'api', ready: false, started: true, restartCount: 0 }]);
    expect(sent).toMatchObject({ name: 'api-1', namespace: 'platform' });
    const conditions = sent.body.status.conditions as {
      type: string;
      status: string;
      message?: string;
      lastTransitionTime: Date;
    }[];
    expect(conditions.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'ContainersNotReady',
      message: 'containers with unready status: [api]',
    });
    expect(conditions.find((c) => c.type === 'Ready')!.lastTransitionTime).not.toEqual(earlier);
    expect(sent.body.status.containerStatuses).toEqual([
      expect.objectContaining({ name: 'api', image: 'localhost/boxoffice:dev', ready: false, started: true }),
    ]);
  });

  it('keeps the transition time of a condition that did not change, and shows why a container waits', async () => {
    const sent = await reportOf(pod, [{ name: 'api', ready: true, started: true, restartCount: 2 }]);
    const conditions = sent.body.status.conditions as { type: string; lastTransitionTime: Date }[];
    expect(conditions.find((c) => c.type === 'Ready')).toEqual({
      type: 'Ready',
      status: 'True',
      lastTransitionTime: earlier,
    });
    const waiting = await reportOf(pod, [
      {
        name: 'api',
        ready: false,
        started: false,
        restartCount: 3,
        waiting: { reason: 'CreateContainerConfigError', message: 'Secret "db" not found' },
      },
    ]);
    expect(waiting.body.status.containerStatuses).toEqual([
      expect.objectContaining({
        restartCount: 3,
        state: { waiting: { reason: 'CreateContainerConfigError', message: 'Secret "db" not found' } },
      }),
    ]);
  });

  it("reads the API server's message out of a failed request", () => {
    expect(
      apiMessage({
        body: JSON.stringify({ message: 'pods "x" not found' }),
        message: 'HTTP-Code: 404\nBody…',
      }),
    ).toBe('pods "x" not found');
    expect(apiMessage(new Error('connect ECONNREFUSED\nmore'))).toBe('connect ECONNREFUSED');
  });
});
