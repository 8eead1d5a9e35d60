import { describe, expect, it } from '@jest/globals';
import { answersByOutcome, ratesOf } from './timeline.ts';

describe('the flash sale timeline', () => {
  it('sums purchase-api answers by outcome across events and ticket types', () => {
    const metrics = [
      '# HELP boxoffice_api_orders_total Answers',
      '# TYPE boxoffice_api_orders_total counter',
      'boxoffice_api_orders_total{event="a/x",ticket_type="standard",outcome="accepted"} 7',
      'boxoffice_api_orders_total{event="a/y",ticket_type="standard",outcome="accepted"} 3',
      'boxoffice_api_orders_total{event="a/x",ticket_type="standard",outcome="sold_out"} 12',
      'http_request_duration_seconds_count{route="/x",outcome="accepted"} 99',
    ].join('\n');
    expect(answersByOutcome(metrics)).toEqual({ accepted: 10, sold_out: 12 });
  });

  it('turns cumulative samples into rates per second over uneven intervals', () => {
    expect(
      ratesOf([
        { second: 0, held: 0, answers: {} },
        { second: 2, held: 100, answers: { accepted: 100 } },
        { second: 2.5, held: 150, answers: { accepted: 150, sold_out: 20 } },
      ]),
    ).toEqual([
      { second: 2, holdsPerSecond: 50, answersPerSecond: { accepted: 50 } },
      { second: 2.5, holdsPerSecond: 100, answersPerSecond: { accepted: 100, sold_out: 40 } },
    ]);
  });
});
