// upload.js without a browser: the URL to use, the request, refusals, thumbnails.
// Run: node --test tests/web/js/

import assert from "node:assert/strict";
import { test } from "node:test";

import { thumbnailFor, uploadFile, uploadUrl } from "../../../src/chatroom/web/static/js/upload.js";

const ORIGIN = "https://chat.example";

test("uploads need the token and a password", () => {
  const isupport = { "soju.im/FILEHOST": "https://chat.example/upload" };
  assert.equal(uploadUrl(isupport, "pw", ORIGIN), "https://chat.example/upload");
  assert.equal(uploadUrl(isupport, "", ORIGIN), null);
  assert.equal(uploadUrl({}, "pw", ORIGIN), null);
  const elsewhere = { "soju.im/FILEHOST": "https://files.example/upload" };
  assert.equal(uploadUrl(elsewhere, "pw", ORIGIN), "https://chat.example/upload");
});

test("the request carries Basic credentials and the name", async () => {
  let seen;
  const fetchImpl = async (url, init) => {
    seen = { url, init };
    return { status: 201, headers: new Map([["Location", `${ORIGIN}/files/${"a".repeat(22)}`]]) };
  };
  const file = new Blob(["hi"], { type: "text/plain" });
  file.name = 'evil"name.txt';
  const link = await uploadFile(`${ORIGIN}/upload`, file, "alice", "pässword", fetchImpl);
  assert.equal(link, `${ORIGIN}/files/${"a".repeat(22)}`);
  assert.equal(seen.init.method, "POST");
  const decoded = Buffer.from(seen.init.headers.Authorization.slice(6), "base64").toString("utf8");
  assert.equal(decoded, "alice:pässword");
  assert.equal(seen.init.headers["Content-Disposition"], 'attachment; filename="evilname.txt"');
});

test("refusals become messages", async () => {
  const fetchImpl = async () => ({ status: 413, headers: new Map() });
  await assert.rejects(uploadFile("/upload", new Blob(["x"]), "a", "b", fetchImpl), /too large/);
});

test("thumbnails only for our own shared files", () => {
  const name = "Ab_-".repeat(5) + "xy";
  assert.equal(thumbnailFor(`${ORIGIN}/files/${name}`, ORIGIN), `${ORIGIN}/files/${name}/thumb`);
  assert.equal(thumbnailFor(`https://evil.example/files/${name}`, ORIGIN), null);
  assert.equal(thumbnailFor(`${ORIGIN}/files/short`, ORIGIN), null);
  assert.equal(thumbnailFor("not a url", ORIGIN), null);
});
