/** Every boxoffice dashboard by file name: `npm run dashboards` writes each to `<name>.json`. */
import { allocatorDashboard } from './allocator.ts';
import { operatorDashboard } from './operator.ts';
import { overviewDashboard } from './overview.ts';
import type { Dashboard } from './panels.ts';
import { saleDashboard } from './sale.ts';

export const dashboards: Record<string, () => Dashboard> = {
  overview: overviewDashboard,
  sale: saleDashboard,
  allocator: allocatorDashboard,
  operator: operatorDashboard,
};
