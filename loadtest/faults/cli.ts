/**
 * npm run faults — the fault matrix under load (loadtest/faults/): each fault injected into the real
 * platform while k6 sells an event, each followed by the invariant audit; writes docs/reliability.json
 * and the table in docs/reliability.md. FAULTS=id,id runs a subset (printed, nothing written).
 */
import { writeReport } from './report.ts';
import { purchasePathFaults } from './matrix.ts';
import { runFault, type FaultRun } from './sale.ts';
import { startFaultWorld } from './world.ts';

const only = process.env.FAULTS?.split(',').filter(Boolean);
const faults = only ? purchasePathFaults.filter((f) => only.includes(f.id)) : purchasePathFaults;
const world = await startFaultWorld();
const runs: FaultRun[] = [];
try {
  for (const fault of faults) {
    console.error(`faults: ${fault.id} …`);
    const run = await runFault(fault, world);
    runs.push(run);
    console.error(JSON.stringify({ ...run, load: undefined }, null, 2));
  }
} finally {
  // FAULTS_KEEP=1 leaves the servers running after a failed audit, to look at what went wrong.
  const keep = process.env.FAULTS_KEEP === '1' && runs.some((r) => r.audit.violations.length > 0);
  if (keep) console.error(`faults: servers kept running: ${JSON.stringify(world.settings)}`);
  else await world.stop();
}
const failed = runs.filter((r) => r.audit.violations.length > 0);
if (!only) writeReport(runs, world.versions);
console.error(`faults: ${runs.length - failed.length}/${runs.length} audits clean; logs in ${world.logDir}`);
process.exitCode = failed.length === 0 ? 0 : 1;
