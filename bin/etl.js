#!/usr/bin/env node
// Runs compiled dist/ when it is up to date, else the TypeScript sources through tsx (bin/entry.js).
import { entry } from './entry.js';
await import(await entry('cli/etl'));
