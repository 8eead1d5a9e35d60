import { jest } from '@jest/globals';

// Integration tests wait on real servers (consumer-group rebalances, rollouts); jest's 5 s default
// is for unit tests. Per-project `testTimeout` is not honoured by jest, hence this setup file.
jest.setTimeout(120_000);
