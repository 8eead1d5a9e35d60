import { eventually } from '@boxoffice/testkit';

export interface SseEvent {
  event: string;
  data: string;
}

export interface SseStream {
  status: number;
  response: Response;
  events: SseEvent[];
  /** Waits until an event matching `predicate` has arrived (since the stream opened). */
  waitFor(predicate: (event: SseEvent) => boolean, timeoutMs?: number): Promise<SseEvent>;
  close(): void;
}

/** Opens a Server-Sent Events stream with fetch and collects its events (comments are skipped). */
export async function openStream(url: string, headers: Record<string, string> = {}): Promise<SseStream> {
  const abort = new AbortController();
  const response = await fetch(url, { headers, signal: abort.signal });
  const events: SseEvent[] = [];
  if (response.ok && response.body) {
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    void (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += value;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const fields = Object.fromEntries(
            block
              .split('\n')
              .filter((line) => !line.startsWith(':'))
              .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1).trim()]),
          ) as Record<string, string>;
          if (fields.event !== undefined) events.push({ event: fields.event, data: fields.data ?? '' });
        }
      }
    })().catch(() => undefined); // aborted by close()
  }
  return {
    status: response.status,
    response,
    events,
    waitFor: (predicate, timeoutMs = 10_000) =>
      eventually(
        () => {
          const found = events.find(predicate);
          if (!found) throw new Error(`no matching event among ${JSON.stringify(events)}`);
          return found;
        },
        { timeoutMs, intervalMs: 25 },
      ),
    close: () => abort.abort(),
  };
}
