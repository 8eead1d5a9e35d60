/**
 * Object names and image references exactly as the chart's _helpers.tpl makes them, so that an
 * installation moved between Helm and cdk8s keeps its objects.
 */
import type { ChartMetadata } from './sources.ts';
import type { Values } from './values.ts';

/** Helm's `trunc 63 | trimSuffix "-"` (names are DNS labels; trimSuffix drops one dash). */
const dnsLabel = (name: string): string => name.slice(0, 63).replace(/-$/, '');

/** Helm's `default`: an empty value falls back. */
const orElse = (value: string, fallback: string): string => (value === '' ? fallback : value);

export interface Names {
  /** app.kubernetes.io/name */
  name: string;
  /** The prefix of every object name. */
  fullname: string;
  /** `<fullname>-<component>` */
  component(component: string): string;
  operatorServiceAccount: string;
  analyticsServiceAccount: string;
  /** The chart's own Secret of credentials given as values. */
  secret: string;
}

export function names(values: Values, release: string, chart: ChartMetadata): Names {
  const base = orElse(values.nameOverride, chart.name);
  const fullname = values.fullnameOverride
    ? dnsLabel(values.fullnameOverride)
    : dnsLabel(release.includes(base) ? release : `${release}-${base}`);
  const component = (name: string) => dnsLabel(`${fullname}-${name}`);
  const account = values.operator.serviceAccount;
  const analytics = values.analytics.serviceAccount;
  return {
    name: dnsLabel(base),
    fullname,
    component,
    operatorServiceAccount: account.create
      ? orElse(account.name, component('operator'))
      : orElse(account.name, 'default'),
    analyticsServiceAccount: analytics.create
      ? orElse(analytics.name, component('analytics'))
      : orElse(analytics.name, 'default'),
    secret: fullname,
  };
}

interface ImageValues {
  repository: string;
  tag: string;
  digest: string;
}

/**
 * `repository:tag`, or `repository@digest` when pinned; the tag defaults to the chart's appVersion.
 * With a fallback (the platform image), each empty key is taken from it, the digest only when the
 * repository is too (a digest belongs to its repository).
 */
export function imageReference(image: ImageValues, appVersion: string, fallback?: ImageValues): string {
  const repository = orElse(image.repository, fallback?.repository ?? '');
  const tag = orElse(orElse(image.tag, fallback?.tag ?? ''), appVersion);
  const digest = orElse(image.digest, image.repository === '' ? (fallback?.digest ?? '') : '');
  return digest ? `${repository}@${digest}` : `${repository}:${tag}`;
}
