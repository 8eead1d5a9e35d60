/**
 * Signs a payment-provider webhook payload for local use, the way the provider would:
 *
 *   node scripts/sign-webhook.ts payload.json            # prints the Boxoffice-Signature header
 *   node scripts/sign-webhook.ts payload.json --url http://127.0.0.1:8080/v1/payments/webhook
 *   echo '{"id":"evt_1",...}' | node scripts/sign-webhook.ts - --url ...   # prints a curl command
 *
 * The secret comes from BOXOFFICE_WEBHOOK_SECRET (or --secret). The exact bytes read are signed,
 * so send them unchanged (curl --data-binary, not --data, which strips newlines).
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { SIGNATURE_HEADER, signWebhook } from '../services/platform/src/auth/webhook-signature.ts';

const USAGE = 'usage: sign-webhook.ts <payload.json | -> [--secret S] [--url URL] [--timestamp UNIX]';

function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

export function signCommand(argv: string[], env: NodeJS.ProcessEnv, stdin: () => Buffer): string {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { secret: { type: 'string' }, url: { type: 'string' }, timestamp: { type: 'string' } },
  });
  const source = positionals[0];
  if (source === undefined || positionals.length > 1) throw new Error(USAGE);
  const secret = values.secret ?? env.BOXOFFICE_WEBHOOK_SECRET;
  if (!secret) throw new Error('set BOXOFFICE_WEBHOOK_SECRET or pass --secret');
  const body = source === '-' ? stdin() : readFileSync(source);
  try {
    JSON.parse(body.toString('utf8'));
  } catch {
    throw new Error(`${source === '-' ? 'stdin' : source} is not valid JSON`);
  }
  const timestamp = values.timestamp === undefined ? undefined : Number(values.timestamp);
  if (timestamp !== undefined && !Number.isInteger(timestamp))
    throw new Error('--timestamp must be unix seconds');
  const header = `${SIGNATURE_HEADER}: ${signWebhook(secret, body, timestamp)}`;
  if (values.url === undefined) return header;
  const data = source === '-' ? shellQuote(body.toString('utf8')) : shellQuote(`@${source}`);
  return [
    `curl -sS -X POST ${shellQuote(values.url)}`,
    `  -H 'Content-Type: application/json'`,
    `  -H ${shellQuote(header)}`,
    `  --data-binary ${data}`,
  ].join(' \\\n');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    console.log(signCommand(process.argv.slice(2), process.env, () => readFileSync(0)));
  } catch (error) {
    console.error(`sign-webhook: ${(error as Error).message}`);
    process.exitCode = 2;
  }
}
