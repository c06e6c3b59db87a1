/** A choice in a select or checkbox group. */
export interface Option {
  value: string;
  label: string;
}

/** Options for every value of an enum, labelled from a locale's label record. */
export function enumOptions<V extends string>(values: readonly V[], labels: Record<V, string>): Option[] {
  return values.map((value) => ({ value, label: labels[value] }));
}
