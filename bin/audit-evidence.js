#!/usr/bin/env node
import { main } from '../dist/cli/index.js';
// main() reports every error itself and sets the exit code; nothing is left for a rejection.
void main(process.argv);
