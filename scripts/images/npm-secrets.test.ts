import { describe, expect, it } from '@jest/globals';
import { registrySettings } from './npm-secrets.ts';

describe('the npm config passed to image builds', () => {
  it('keeps the registry settings and tokens of an npmrc and nothing else of the machine', () => {
    const npmrc = [
      'registry=https://npm.example.org/',
      '@acme:registry = https://npm.acme.example/',
      '//npm.acme.example/:_authToken=secret-token',
      'nodedir=/usr',
      'cafile=/etc/ssl/certs/ca-certificates.crt',
      '; registry=https://commented.example/',
      'fund=false',
    ].join('\n');
    expect(registrySettings(npmrc)).toEqual([
      'registry=https://npm.example.org/',
      '@acme:registry = https://npm.acme.example/',
      '//npm.acme.example/:_authToken=secret-token',
    ]);
  });
});
