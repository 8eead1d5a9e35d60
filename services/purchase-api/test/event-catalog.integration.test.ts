import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createPool } from '@boxoffice/platform/postgres';
import { uniqueName } from '@boxoffice/testkit';
import { eventOnSale } from '../../store/test/fixtures.ts';
import { eventCatalog } from '../src/event-catalog.ts';
import { PurchasePath } from './purchase-path.ts';

describe("purchase-api's event catalog while PostgreSQL cannot be read (real PostgreSQL)", () => {
  const path = new PurchasePath();
  const event = eventOnSale(uniqueName('catalog'));
  beforeAll(async () => {
    await path.start({ sweeper: false });
    await path.provision(event);
  });
  afterAll(async () => path.stop());

  it('keeps answering with the settings it last read, so orders go on to Kafka instead of failing', async () => {
    const pool = createPool(path.databaseUrl, 1);
    const catalog = eventCatalog(pool, 0);
    const read = await catalog(event);
    expect(read?.ticketTypes.map((t) => t.name)).toEqual(['standard']);
    await pool.end(); // every query of this pool now fails, as with the server gone
    expect(await catalog(event)).toEqual(read);
  });

  it('fails an event it never read', async () => {
    const pool = createPool(path.databaseUrl, 1);
    await pool.end();
    await expect(eventCatalog(pool, 0)(event)).rejects.toThrow();
  });
});
