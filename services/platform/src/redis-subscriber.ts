import type { Redis } from 'ioredis';

export interface ChannelListener {
  message(message: string): void;
  /**
   * Redis subscribed the channel after this listener was told it was not (or after losing it):
   * messages in between were lost.
   */
  resubscribed?(): void;
}

export interface ChannelSubscription {
  /**
   * Resolves true once Redis confirms the channel, false if the connection is down (or drops
   * before confirming). Never rejects, never waits on an outage.
   */
  readonly confirmed: Promise<boolean>;
  /** Stops this listener; the channel is unsubscribed when its last listener stops. */
  close(): void;
}

const RETRY_SUBSCRIBE_MS = 1_000;

interface Channel {
  listeners: Set<ChannelListener>;
  confirmed: boolean;
  /** Listeners whose `confirmed` is still pending. */
  waiting: Map<ChannelListener, (confirmed: boolean) => void>;
}

/**
 * One Redis subscriber connection shared by every listener of a process, whatever the number of
 * channels and listeners (each SSE stream, each waiting purchase): messages fan out in process.
 * The channels wanted are the ones with listeners, kept here, not in the connection: they are
 * (re)subscribed whenever the connection becomes ready, so an outage or a client that leaves
 * before its subscription completed leaves neither a subscription nor a connection behind.
 */
export class RedisSubscriber {
  private readonly connection: Redis;
  private readonly channels = new Map<string, Channel>();

  constructor(redis: Redis, options: { name?: string } = {}) {
    this.connection = redis.duplicate({
      connectionName: options.name ?? `${redis.options.connectionName ?? 'boxoffice'}-subscriber`,
      // What is subscribed is decided here on every (re)connect; nothing queued may undo it later.
      enableOfflineQueue: false,
      autoResubscribe: false,
      autoResendUnfulfilledCommands: false,
    });
    this.connection.on('error', () => undefined); // reconnects on its own
    this.connection.on('message', (channel: string, message: string) => {
      for (const listener of this.channels.get(channel)?.listeners ?? []) listener.message(message);
    });
    // Whatever the connection had is gone after a reconnect: listeners hear they may have missed messages.
    this.connection.on('ready', () => {
      for (const [name, channel] of this.channels) this.subscribe(name, channel, true);
    });
    this.connection.on('close', () => {
      for (const channel of this.channels.values()) {
        channel.confirmed = false;
        settle(channel, false);
      }
    });
  }

  /** Whether Redis currently delivers the channel's messages. */
  isSubscribed(channel: string): boolean {
    return this.channels.get(channel)?.confirmed ?? false;
  }

  listen(name: string, listener: ChannelListener): ChannelSubscription {
    let channel = this.channels.get(name);
    if (!channel) {
      channel = { listeners: new Set(), confirmed: false, waiting: new Map() };
      this.channels.set(name, channel);
      this.subscribe(name, channel);
    }
    channel.listeners.add(listener);
    const current = channel;
    const confirmed = current.confirmed
      ? Promise.resolve(true)
      : this.connecting()
        ? new Promise<boolean>((resolve) => current.waiting.set(listener, resolve))
        : Promise.resolve(false);
    let closed = false;
    return {
      confirmed,
      close: () => {
        if (closed) return;
        closed = true;
        current.listeners.delete(listener);
        current.waiting.get(listener)?.(false);
        current.waiting.delete(listener);
        if (current.listeners.size > 0 || this.channels.get(name) !== current) return;
        this.channels.delete(name);
        settle(current, false);
        // Ordered after any SUBSCRIBE of this channel on the same connection, so it wins.
        if (this.connection.status === 'ready') this.connection.unsubscribe(name).catch(() => undefined);
      },
    };
  }

  /** Closes the connection; listeners get nothing more. */
  stop(): void {
    for (const channel of this.channels.values()) settle(channel, false);
    this.channels.clear();
    this.connection.disconnect();
  }

  /** Whether a subscription may still be confirmed without waiting for an outage to end. */
  private connecting(): boolean {
    const status = this.connection.status;
    return status === 'wait' || status === 'connecting' || status === 'connect' || status === 'ready';
  }

  private subscribe(name: string, channel: Channel, resubscribed = false): void {
    if (this.connection.status !== 'ready') return; // the 'ready' handler subscribes it
    this.connection.subscribe(name).then(
      () => {
        if (this.channels.get(name) !== channel) return; // left meanwhile; the UNSUBSCRIBE follows
        channel.confirmed = true;
        const informed = new Set(channel.waiting.keys());
        settle(channel, true);
        if (resubscribed)
          for (const listener of channel.listeners) if (!informed.has(listener)) listener.resubscribed?.();
      },
      () => {
        settle(channel, false); // nobody waits for it meanwhile
        // Dropped: the next 'ready' subscribes again. Timed out on a live connection (Redis, or this
        // process, too busy): ask again shortly.
        if (this.connection.status !== 'ready') return;
        setTimeout(() => {
          if (this.channels.get(name) === channel && !channel.confirmed) this.subscribe(name, channel, true);
        }, RETRY_SUBSCRIBE_MS).unref();
      },
    );
  }
}

function settle(channel: Channel, confirmed: boolean): void {
  const waiting = [...channel.waiting.values()];
  channel.waiting.clear();
  for (const resolve of waiting) resolve(confirmed);
}
