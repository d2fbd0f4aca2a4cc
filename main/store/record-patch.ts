// The repositories' update methods take patches: a field left out (or undefined) keeps its
// value, null clears it. They read the record, spread the patch over it and write it back.

/** Drops keys whose value is undefined, so spreading the patch leaves those fields alone. */
export function withoutUndefined<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined)) as Partial<T>;
}
