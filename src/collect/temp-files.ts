// Temporary files and folders of a run, removed when the run ends however it ends (an error, or an
// interrupt handled by the CLI with removeAllSync), so that no half-written bundle is ever left.
import { rmSync } from 'node:fs';

export class TempFiles {
  private readonly paths = new Set<string>();
  add(path: string): string {
    this.paths.add(path);
    return path;
  }
  /** Forgets a path that became a finished output (after the rename). */
  keep(path: string): void {
    this.paths.delete(path);
  }
  removeAllSync(): void {
    for (const p of this.paths) {
      try {
        rmSync(p, { recursive: true, force: true });
      } catch {
        /* best effort */
      }
    }
    this.paths.clear();
  }
}
