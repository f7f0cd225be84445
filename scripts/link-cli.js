'use strict';
// npm links the bins of dependencies, never the project's own; link `gnc` so `npx gnc` finds it
// in node_modules/.bin (with the project's Node 24 beside it) instead of looking in the registry.
const fs = require('node:fs');
const path = require('node:path');

const binDir = path.join(__dirname, '..', 'node_modules', '.bin');
const link = path.join(binDir, 'gnc');
fs.mkdirSync(binDir, { recursive: true });
fs.rmSync(link, { force: true });
fs.symlinkSync(path.join('..', '..', 'bin', 'gnc.js'), link);
