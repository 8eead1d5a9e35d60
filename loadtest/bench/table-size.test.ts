import { describe, expect, it } from '@jest/globals';
import { censusOf } from './table-size.ts';

// Two plans as auto_explain writes them into the server log (text format).
const log = `2026-12-01 23:40:01 UTC [123] LOG:  duration: 0.052 ms  plan:
	Query Text: SELECT * FROM orders WHERE id = ANY($1::uuid[])
	Index Scan using orders_pkey on orders  (cost=0.43..8.45 rows=1 width=150)
	  Index Cond: (id = ANY ($1))
2026-12-01 23:40:01 UTC [124] LOG:  duration: 0.011 ms  plan:
	Query Text: SELECT * FROM events WHERE namespace = $1
	Seq Scan on events  (cost=0.00..1.01 rows=1 width=200)
2026-12-01 23:40:02 UTC [125] LOG:  duration: 35.100 ms  plan:
	Query Text: SELECT count(*) FROM orders
	Seq Scan on orders  (cost=0.00..180000.00 rows=10000000 width=0)
`;

describe('the plan census of a table-size run', () => {
  it('counts the logged plans and their sequential scans by relation', () => {
    expect(censusOf(log)).toEqual({
      plans: 3,
      seqScans: { events: 1, orders: 1 },
      ordersScannedBy: ['SELECT count(*) FROM orders'],
    });
  });
});
