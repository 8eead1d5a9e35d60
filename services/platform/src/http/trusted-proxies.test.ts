import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { loadConfig } from '../config.ts';
import { trustedProxiesConfig, trustProxySetting } from './trusted-proxies.ts';

const parse = (env: NodeJS.ProcessEnv) => loadConfig(z.object(trustedProxiesConfig), env).TRUSTED_PROXIES;

describe('TRUSTED_PROXIES', () => {
  it('trusts no proxy by default, so X-Forwarded-For is ignored', () => {
    expect(parse({})).toEqual([]);
    expect(trustProxySetting(parse({}))).toBe(false);
  });

  it('accepts addresses, CIDRs and Express’s named ranges', () => {
    expect(parse({ TRUSTED_PROXIES: '10.42.0.0/16, 192.168.1.10,fd00::/8, loopback' })).toEqual([
      '10.42.0.0/16',
      '192.168.1.10',
      'fd00::/8',
      'loopback',
    ]);
  });

  it('fails at start on an entry Express would not understand, naming it', () => {
    expect(() => parse({ TRUSTED_PROXIES: '10.0.0.0/8,ingress.local' })).toThrow(
      /TRUSTED_PROXIES: .*"ingress\.local"/,
    );
    expect(() => parse({ TRUSTED_PROXIES: '10.0.0.0/40' })).toThrow(/TRUSTED_PROXIES/);
  });
});
