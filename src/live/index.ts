// Loaded by collect when a configuration names a live source: registers every live source type.
import { registerLiveSources } from './registry.js';

registerLiveSources();

export { liveOpeners, registerLiveSources } from './registry.js';
