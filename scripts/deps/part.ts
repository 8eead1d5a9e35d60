import type { Settings } from './env-file.ts';
import type { GoBuild } from './go-builds.ts';

/**
 * One real dependency (PostgreSQL, Redis, Kafka, the Kubernetes control plane, tools).
 * `external` returns settings when the user already provides the part (env var or PATH), in which
 * case nothing is installed or started for it.
 */
export interface Part {
  readonly name: string;
  external(): Settings | undefined;
  /** Installs or builds what is missing; reuses the cache otherwise. */
  ensure(): Promise<void>;
  /** What `ensure` would build with Go now (nothing once cached), checked for all parts at once. */
  goBuild?(): GoBuild | undefined;
  /**
   * Parts this one runs on (by name): it starts after them and gets their settings in `up`.
   * Parts without any start concurrently.
   */
  readonly needs?: readonly string[];
  /** Starts the part (or finds it already running) and returns its connection settings. */
  up(needed?: Settings): Promise<Settings>;
  /** Stops exactly the processes `up` started. */
  down(): Promise<void>;
  /** Whether the processes `up` started are alive. */
  running(): boolean;
  /** The server version, read from the running server. */
  version(settings: Settings): Promise<string>;
}
