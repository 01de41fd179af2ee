#!/usr/bin/env node
// Thin launcher: the command line lives in cli/ and is compiled to dist/ by `npm install`.
require('../dist/cli/main.js');
