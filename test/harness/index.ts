export { dependencies, type Dependencies } from './dependencies.ts';
export { uniqueName } from './names.ts';
export { createTestDatabase } from './postgres.ts';
export { kubeConfig, createNamespace, kubectl } from './kubernetes.ts';
export { eventually } from './eventually.ts';
export { kubeConfigAs } from './identity.ts';
export {
  grantKafkaAcls,
  kafkaAs,
  kafkaConnectionAs,
  kafkaEnforcesPrincipals,
  kafkaEnv,
  type KafkaPrincipal,
} from './kafka.ts';
export { DedicatedRedis } from './redis-server.ts';
