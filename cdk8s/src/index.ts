export { BoxofficePlatform, type BoxofficePlatformProps } from './platform.ts';
export type { BoxofficeValues, Values } from './values.ts';
export { MANAGED_BY, type Installation } from './installation.ts';
