#!/usr/bin/env node
// Entry point of the installed `pincer` command: the built JavaScript when present, else the TypeScript sources
// (Node 22.18+/23.6+ runs them directly).
import { existsSync } from "node:fs";

const built = new URL("../dist/cli/main.js", import.meta.url);
const source = new URL("../src/cli/main.ts", import.meta.url);
await import(existsSync(built) ? built.href : source.href);
