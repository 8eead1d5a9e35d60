import { readEnvFile, type Settings } from '../../scripts/deps/env-file.ts';
import { externalKafkaSettings } from '../../scripts/deps/kafka-users.ts';
import { envFile } from '../../scripts/deps/paths.ts';

export interface Dependencies {
  databaseUrl: string;
  redisUrl: string;
  kafkaBrokers: string[];
  kubeconfig: string;
  kubectl: string;
  kubePkiDir: string | undefined;
  kubeApiServerUrl: string | undefined;
  /** The trace store: services export OTLP/HTTP here, tests read traces from Jaeger's query API. */
  otlpEndpoint: string | undefined;
  jaegerQueryUrl: string | undefined;
}

/** The raw settings of the running dependencies: deps.env, overridden by the env vars naming external servers. */
export function dependencySettings(): Settings {
  return { ...readEnvFile(envFile), ...definedEnv() };
}

/** Connection settings of the running dependencies, as written by the harness's global setup. */
export function dependencies(): Dependencies {
  const settings = dependencySettings();
  const required = (key: string): string => {
    const value = settings[key];
    if (!value)
      throw new Error(
        `${key} is not set: run the integration tests through jest (global setup) or \`npm run deps -- up\``,
      );
    return value;
  };
  return {
    databaseUrl: required('DATABASE_URL'),
    redisUrl: required('REDIS_URL'),
    kafkaBrokers: required('KAFKA_BROKERS').split(','),
    kubeconfig: required('KUBECONFIG'),
    kubectl: settings.KUBECTL ?? 'kubectl',
    kubePkiDir: settings.KUBE_PKI_DIR,
    kubeApiServerUrl: settings.KUBE_APISERVER_URL,
    otlpEndpoint: settings.OTEL_EXPORTER_OTLP_ENDPOINT,
    jaegerQueryUrl: settings.JAEGER_QUERY_URL,
  };
}

function definedEnv(): Record<string, string> {
  const keys = ['DATABASE_URL', 'REDIS_URL', 'KUBECONFIG'];
  return {
    ...Object.fromEntries(keys.flatMap((key) => (process.env[key] ? [[key, process.env[key]]] : []))),
    ...(process.env.KAFKA_BROKERS ? externalKafkaSettings(process.env) : {}),
  };
}
