import { dashboard, row, statPanel, timeSeries, variables, type Dashboard } from './panels.ts';
import { rate } from './promql.ts';

const event = 'event="$event"';
const shards = `${event}, shard=~"$shard"`;

/** One event's sale: status, inventory per ticket type and shard, what happened to the orders. */
export function saleDashboard(): Dashboard {
  return dashboard(
    'boxoffice-sale',
    'boxoffice / Sale',
    'One TicketEvent: phase, inventory per ticket type and shard, holds, confirmations, expiries, rejections and time to sell out.',
  )
    .withVariable(variables.namespace())
    .withVariable(variables.event())
    .withVariable(variables.shard())
    .withRow(row('Status'))
    .withPanel(
      statPanel({
        title: 'Phase',
        description:
          "The TicketEvent's status phase (Pending, Provisioning, Scheduled, OnSale, Paused, SoldOut, Closed, Failed).",
        unit: 'none',
        showName: true,
        targets: [{ expr: `boxoffice_ticketevent_phase{${event}} == 1`, legend: '{{phase}}' }],
      }),
    )
    .withPanel(
      statPanel({
        title: 'Ready',
        description:
          'Whether the Ready condition is True (topic, inventory, allocator and scaler in place). No for 10 minutes: BoxofficeTicketEventNotReady.',
        unit: 'bool_yes_no',
        targets: [{ expr: `boxoffice_ticketevent_ready{${event}}`, legend: 'ready' }],
      }),
    )
    .withPanel(
      statPanel({
        title: 'Remaining',
        description:
          'Tickets still available, all ticket types and shards (PostgreSQL, read by the operator).',
        unit: 'short',
        targets: [{ expr: `sum(boxoffice_inventory_remaining{${event}})`, legend: 'remaining' }],
      }),
    )
    .withPanel(
      statPanel({
        title: 'Inventory audit',
        description:
          "Whether the last audit of this event's invariants passed. No: page (BoxofficeInventoryAuditFailing); the operator log lists the violations.",
        unit: 'bool_yes_no',
        targets: [{ expr: `boxoffice_inventory_audit_ok{${event}}`, legend: 'sound' }],
      }),
    )
    .withRow(row('Inventory'))
    .withPanel(
      timeSeries({
        title: 'Remaining by ticket type',
        description: 'Tickets still available per ticket type (on the selected shards).',
        unit: 'short',
        min: 0,
        targets: [
          {
            expr: `sum by (ticket_type) (boxoffice_inventory_remaining{${shards}})`,
            legend: '{{ticket_type}}',
          },
        ],
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Remaining per shard',
        description:
          'Tickets still available per ticket type and shard. purchase-api routes buyers to shards in proportion to their stock, so the shards should drain together; one that does not moves slower (see its lag).',
        unit: 'short',
        min: 0,
        targets: [
          { expr: `boxoffice_inventory_remaining{${shards}}`, legend: '{{ticket_type}} shard {{shard}}' },
        ],
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Held and sold by ticket type',
        description: 'Tickets held (unpaid, until they expire) and sold (paid), per ticket type.',
        unit: 'short',
        min: 0,
        targets: [
          {
            expr: `sum by (ticket_type) (boxoffice_inventory_held{${shards}})`,
            legend: '{{ticket_type}} held',
          },
          {
            expr: `sum by (ticket_type) (boxoffice_inventory_sold{${shards}})`,
            legend: '{{ticket_type}} sold',
          },
        ],
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Time to sell out',
        description:
          'While a ticket type is sold out: the time from the sale opening to the hold that took its last ticket. Gone again when expiries or releases put tickets back.',
        unit: 's',
        targets: [{ expr: `boxoffice_ticket_type_sell_out_seconds{${event}}`, legend: '{{ticket_type}}' }],
      }),
    )
    .withRow(row('Orders'))
    .withPanel(
      timeSeries({
        title: 'Holds, confirmations, releases, expiries',
        description: 'What the allocators did to orders, per ticket type and outcome.',
        unit: 'ops',
        targets: [
          {
            expr: `sum by (ticket_type, outcome) (${rate(`boxoffice_orders_total{${event}, outcome=~"held|confirmed|released|expired|refund_required"}`)})`,
            legend: '{{ticket_type}} {{outcome}}',
          },
        ],
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Rejections by reason',
        description:
          'Requests the allocators rejected: sold_out (no shard had enough), limit_reached (per-buyer limit), unknown_ticket_type, cannot_apply (refused by PostgreSQL).',
        unit: 'ops',
        targets: [
          {
            expr: `sum by (reason) (${rate(`boxoffice_orders_total{${event}, outcome="rejected"}`)})`,
            legend: '{{reason}}',
          },
        ],
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Answers to buyers',
        description:
          'What purchase-api answered for this event, by outcome (accepted, pending, sold_out, limit_reached, …).',
        unit: 'ops',
        stacked: true,
        targets: [
          {
            expr: `sum by (outcome) (${rate(`boxoffice_api_orders_total{${event}}`)})`,
            legend: '{{outcome}}',
          },
        ],
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Expiry commands sent',
        description:
          'hold.expire commands the sweeper produced for this event (sent) or could not (failed; they go again when its walk starts over).',
        unit: 'ops',
        targets: [
          {
            expr: `sum by (result) (${rate(`boxoffice_hold_expiry_commands_total{${event}}`)})`,
            legend: '{{result}}',
          },
        ],
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Oldest hold past its expiry',
        description:
          'How long the oldest hold still HELD is past its expiry (its seats are not back on sale). Above 5 minutes: BoxofficeHoldsPastExpiry.',
        unit: 's',
        min: 0,
        targets: [{ expr: `boxoffice_oldest_hold_past_expiry_seconds{${event}}`, legend: 'oldest' }],
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Holds past their expiry',
        description:
          'Holds still HELD after their expiry, waiting for their hold.expire command to be applied.',
        unit: 'short',
        min: 0,
        targets: [{ expr: `boxoffice_holds_past_expiry{${event}}`, legend: 'holds' }],
      }),
    )
    .build();
}
