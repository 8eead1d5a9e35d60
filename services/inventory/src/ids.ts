import { randomBytes } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';

/** Order ids are UUIDv7: unique without coordination and ordered by creation time (index-friendly). */
export function newOrderId(): string {
  return uuidv7();
}

/** Ticket codes carry 128 random bits (base32, no ambiguous padding), so they cannot be guessed. */
export function newTicketCode(): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  const bytes = randomBytes(26);
  let code = '';
  for (const byte of bytes) code += alphabet[byte & 31];
  return `${code.slice(0, 6)}-${code.slice(6, 12)}-${code.slice(12, 18)}-${code.slice(18, 26)}`;
}
