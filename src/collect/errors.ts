/** A refusal of collect, one sentence for the user (the CLI exits 2 with it). */
export class CollectError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CollectError';
  }
}
