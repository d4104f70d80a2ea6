#!/usr/bin/env node
'use strict';

const fs = require('fs');
const path = require('path');
const { execSync } = require('child_process');

const PKG_PATH = path.join(__dirname, '..', 'package.json');
const LEVELS = ['major', 'minor', 'patch'];

function readVersion() {
  const pkg = JSON.parse(fs.readFileSync(PKG_PATH, 'utf8'));
  return pkg.version;
}

function bumpVersion(version, level) {
  const [major, minor, patch] = version.split('.').map(Number);
  if (level === 'major') {
    return `${major + 1}.0.0`;
  }
  if (level === 'minor') {
    return `${major}.${minor + 1}.0`;
  }
  return `${major}.${minor}.${patch + 1}`;
}

function writeVersion(version) {
  const pkg = JSON.parse(fs.readFileSync(PKG_PATH, 'utf8'));
  pkg.version = version;
  fs.writeFileSync(PKG_PATH, JSON.stringify(pkg, null, 2) + '\n');
}

function main(argv) {
  const level = argv[2] || 'patch';
  if (!LEVELS.includes(level)) {
    console.error(`unknown release level: ${level}`);
    process.exit(2);
  }
  const current = readVersion();
  const next = bumpVersion(current, level);
  writeVersion(next);
  execSync(`git commit -am "release ${next}" && git tag v${next}`, { stdio: 'inherit' });
  console.log(`released ${current} -> ${next}`);
}

main(process.argv);
