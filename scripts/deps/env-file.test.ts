import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { readEnvFile, writeEnvFile } from './env-file.ts';

describe('the deps env file', () => {
  it('reads back what was written, ignoring comments', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'envfile-')), 'deps.env');
    const settings = {
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres',
      KAFKA_BROKERS: '127.0.0.1:9092',
    };
    writeEnvFile(file, settings, 'test');
    expect(readEnvFile(file)).toEqual(settings);
  });

  it('is empty when the file does not exist', () => {
    expect(readEnvFile(join(tmpdir(), 'does-not-exist', 'deps.env'))).toEqual({});
  });
});
