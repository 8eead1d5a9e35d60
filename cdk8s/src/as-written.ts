import { ApiObject, JsonPatch } from 'cdk8s';
import type { IConstruct } from 'constructs';

const patches = new WeakMap<ApiObject, JsonPatch[]>();

/**
 * Sets a field of an object's manifest to a value exactly as given: a chart value Kubernetes takes
 * as written (resources, affinity, tolerations, NetworkPolicy peers…), which the chart passes on
 * with `toYaml`. cdk8s's own escape hatch (ApiObject.addJsonPatch) is applied before a construct of
 * the generated Kubernetes types converts its props, a conversion that reads typed values (Quantity,
 * IntOrString) and drops fields it does not know; this one is applied after it, to the manifest.
 */
export function setAsWritten(construct: IConstruct, path: string, value: unknown): void {
  const object = ApiObject.of(construct);
  let pending = patches.get(object);
  if (!pending) {
    pending = [];
    patches.set(object, pending);
    const typed = object.toJson.bind(object);
    const applied = pending;
    object.toJson = () => JsonPatch.apply(typed(), ...applied);
  }
  pending.push(JsonPatch.add(path, structuredClone(value)));
}
