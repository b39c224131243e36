// The vendored browser code (bot/gateway/static/vendor/) is the pinned package's file, unchanged:
// its SHA-256 is the one scripts/vendor-js recorded, and where node_modules/ is installed
// (`npm ci`), the bytes are the package's.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { test } from "node:test";

const ROOT = new URL("../../", import.meta.url);
const VENDOR = new URL("bot/gateway/static/vendor/", ROOT);

function rows() {
  const table = readFileSync(new URL("README.md", VENDOR), "utf8");
  return [...table.matchAll(/^\| (\S+) \| (\S+) (\S+) (.*)\| (\S+) \| ([0-9a-f]{64}) \|$/gm)].map((m) => ({
    file: m[1],
    pkg: m[2],
    version: m[3],
    licences: [...m[4].matchAll(/`([^`]+)`/g)].map((l) => l[1]),
    from: m[5],
    sha256: m[6],
  }));
}

test("every vendored file is listed with its package, version and hash, and carries its licences", () => {
  const listed = rows();
  assert.deepEqual(listed.map((r) => r.file).sort(), ["echarts/echarts.common.min.js", "partysocket/ws.js"]);
  const pins = JSON.parse(readFileSync(new URL("package.json", ROOT), "utf8")).dependencies;
  assert.deepEqual(listed.map((r) => r.pkg).sort(), Object.keys(pins).sort(), "every pinned package is vendored, and only those");
  for (const row of listed) {
    assert.equal(pins[row.pkg], row.version, `${row.pkg} pinned in package.json`);
    const bytes = readFileSync(new URL(row.file, VENDOR));
    assert.equal(createHash("sha256").update(bytes).digest("hex"), row.sha256, `${row.file} was edited by hand`);
    assert.ok(row.licences.length > 0, `${row.file}: no licence named`);
    for (const licence of row.licences) assert.ok(existsSync(new URL(licence, VENDOR)), `${row.file}: licence ${licence} missing`);
  }
});

test("where the packages are installed, the vendored files are theirs byte for byte", (t) => {
  for (const row of rows()) {
    const installed = new URL(`node_modules/${row.pkg}/${row.from}`, ROOT);
    if (!existsSync(installed)) {
      t.skip("node_modules/ not installed (npm ci): the hash check above stands");
      return;
    }
    assert.equal(JSON.parse(readFileSync(new URL(`node_modules/${row.pkg}/package.json`, ROOT), "utf8")).version, row.version);
    assert.ok(readFileSync(installed).equals(readFileSync(new URL(row.file, VENDOR))), `${row.file} differs from ${row.pkg}'s ${row.from}`);
  }
});
