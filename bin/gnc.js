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
require(main);
