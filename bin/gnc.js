#!/usr/bin/env node
'use strict';
// Entry point of the `gnc` command (linked as node_modules/.bin/gnc by scripts/link-cli.js, so
// `npx gnc` runs it with the project's Node 24 first on the PATH).
const path = require('node:path');
const fs = require('node:fs');

const dist = path.join(__dirname, '..', 'dist', 'node', 'src', 'cli');
const main = path.join(dist, 'main.js');
if (!fs.existsSync(main)) {
  console.error('gnc is not built yet: run `npm run build` in ' + path.dirname(__dirname));
  process.exit(1);
}

/** The subcommand: the first argument that is neither an option nor the value of --data. */
function command(args) {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--data') i++;
    else if (!args[i].startsWith('-')) return args[i];
  }
  return undefined;
}

// A running node uses the V8 settings of node-flags.ts (resident memory); a one-shot command does not need them.
if (command(process.argv.slice(2)) === 'start') require(path.join(dist, 'node-flags.js')).relaunchWithNodeFlags();
require(main);
