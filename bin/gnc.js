#!/usr/bin/env node
'use strict';
// Entry point of the `gnc` command (linked as node_modules/.bin/gnc by scripts/link-cli.js, so
// `npx gnc` runs it with the project's Node 24 first on the PATH).
const path = require('node:path');
const fs = require('node:fs');

const main = path.join(__dirname, '..', 'dist', 'node', 'src', 'cli', 'main.js');
if (!fs.existsSync(main)) {
  console.error('gnc is not built yet: run `npm run build` in ' + path.dirname(__dirname));
  process.exit(1);
}

// A running node (`gnc start`) keeps V8's young generation small. With the default semi-space
// (16 MB, grown to its maximum by the start-up's allocations and not given back) a node at rest
// holds ~45 MB more resident memory than it uses; smaller semi-spaces cost a few more (short)
// scavenges under load. V8 sizes its heap when the process starts, so the flag cannot be set from
// here: the process replaces itself (same pid, same stdio) with one started with it, unless the
// caller chose a size already.
const NODE_FLAGS = ['--max-semi-space-size=8'];

function command(args) {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--data') i++;
    else if (!args[i].startsWith('-')) return args[i];
  }
  return undefined;
}

const args = process.argv.slice(2);
const chosen = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((flag) => flag.includes('semi-space'));
if (command(args) === 'start' && !chosen && typeof process.execve === 'function') {
  process.execve(process.execPath, [process.execPath, ...NODE_FLAGS, ...process.execArgv, __filename, ...args]);
}
require(main);
