export type StreamRefusal = 'client_full' | 'instance_full';

/**
 * Counts open streams per instance and per client address, so one client (or a crowd) cannot hold
 * every socket and every byte of buffer of an instance. A slot is taken before any work and released
 * exactly once, however the stream ends.
 */
export class StreamSlots {
  private total = 0;
  private readonly byClient = new Map<string, number>();
  private readonly limits: { perInstance: number; perClient: number };

  constructor(limits: { perInstance: number; perClient: number }) {
    this.limits = limits;
  }

  get open(): number {
    return this.total;
  }

  /** A slot for one more stream of `client`, or why not (the client's own cap is reported first). */
  take(client: string): { release: () => void } | { refused: StreamRefusal } {
    const mine = this.byClient.get(client) ?? 0;
    if (mine >= this.limits.perClient) return { refused: 'client_full' };
    if (this.total >= this.limits.perInstance) return { refused: 'instance_full' };
    this.byClient.set(client, mine + 1);
    this.total += 1;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.total -= 1;
        const left = (this.byClient.get(client) ?? 1) - 1;
        if (left === 0) this.byClient.delete(client);
        else this.byClient.set(client, left);
      },
    };
  }
}
