// The static list of format adapters. Adding a format is writing its adapter folder under
// src/sources/<id>/ and adding one import and one entry here.
import type { FormatAdapter } from '../pipeline/types.js';

export const adapters: FormatAdapter[] = [
];

export function findAdapter(id: string): FormatAdapter | undefined {
  return adapters.find((a) => a.id === id);
}

export function formatIds(): string[] {
  return adapters.map((a) => a.id);
}
