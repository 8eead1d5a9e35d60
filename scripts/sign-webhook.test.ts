import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyWebhookSignature } from '../services/platform/src/auth/webhook-signature.ts';
import { signCommand } from './sign-webhook.ts';

const secret = 'whsec-local-0123456789abcdef';
const payload = '{"id":"evt_1","type":"payment.succeeded"}\n';

describe('sign-webhook command', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sign-webhook-'));
  const file = join(dir, 'payload.json');
  writeFileSync(file, payload);

  it('prints a header that verifies against the exact file bytes', () => {
    const line = signCommand([file], { BOXOFFICE_WEBHOOK_SECRET: secret }, () => Buffer.alloc(0));
    const [name, value] = line.split(': ');
    expect(name).toBe('Boxoffice-Signature');
    expect(verifyWebhookSignature(secret, value, payload).ok).toBe(true);
  });

  it('prints a curl command sending the file unchanged', () => {
    const curl = signCommand(
      [file, '--url', 'http://127.0.0.1:8080/v1/payments/webhook', '--secret', secret],
      {},
      () => Buffer.alloc(0),
    );
    expect(curl).toContain("curl -sS -X POST 'http://127.0.0.1:8080/v1/payments/webhook'");
    expect(curl).toContain(`--data-binary '@${file}'`);
    expect(curl).toMatch(/-H 'Boxoffice-Signature: t=\d+,v1=[0-9a-f]{64}'/);
  });

  it('signs stdin and quotes it for the shell', () => {
    const body = `{"note":"it's paid"}`;
    const curl = signCommand(
      ['-', '--url', 'http://x/y', '--timestamp', '1750000000'],
      { BOXOFFICE_WEBHOOK_SECRET: secret },
      () => Buffer.from(body),
    );
    expect(curl).toContain(`--data-binary '{"note":"it'\\''s paid"}'`);
    const header = /Boxoffice-Signature: ([^']+)'/.exec(curl)?.[1];
    expect(verifyWebhookSignature(secret, header, body, { now: 1_750_000_000 }).ok).toBe(true);
  });

  it('refuses a payload that is not JSON and a missing secret', () => {
    writeFileSync(join(dir, 'bad.json'), '{nope');
    expect(() => signCommand([join(dir, 'bad.json'), '--secret', secret], {}, () => Buffer.alloc(0))).toThrow(
      /not valid JSON/,
    );
    expect(() => signCommand([file], {}, () => Buffer.alloc(0))).toThrow(/BOXOFFICE_WEBHOOK_SECRET/);
  });

  it('runs as a command under Node', () => {
    const output = execFileSync(process.execPath, ['scripts/sign-webhook.ts', file], {
      env: { ...process.env, BOXOFFICE_WEBHOOK_SECRET: secret },
      encoding: 'utf8',
    });
    expect(output).toMatch(/^Boxoffice-Signature: t=\d+,v1=[0-9a-f]{64}\n$/);
  });
});
