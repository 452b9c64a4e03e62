// upload.js without a browser: the URL to use, the request, refusals, thumbnails.
// Run: node --test tests/web/js/

import assert from "node:assert/strict";
import { test } from "node:test";

import {
  basicAuthorization,
  thumbnailFor,
  TOKEN_REUSE,
  UploadTokens,
  uploadFile,
  uploadUrl,
} from "../../../src/chatroom/web/static/js/upload.js";

const ORIGIN = "https://chat.example";

test("uploads need the token and the right to upload", () => {
  const isupport = { "soju.im/FILEHOST": "https://chat.example/upload" };
  assert.equal(uploadUrl(isupport, true, ORIGIN), "https://chat.example/upload");
  assert.equal(uploadUrl(isupport, false, ORIGIN), null);
  assert.equal(uploadUrl({}, true, ORIGIN), null);
  const elsewhere = { "soju.im/FILEHOST": "https://files.example/upload" };
  assert.equal(uploadUrl(elsewhere, true, ORIGIN), "https://chat.example/upload");
});

test("a token is asked for once, joined from its pieces, and reused for a while", async () => {
  const tokens = new UploadTokens();
  const sent = [];
  const send = (...line) => sent.push(line);
  const first = tokens.get(10, send);
  const second = tokens.get(10, send);
  assert.deepEqual(sent, [["EXTJWT", "*"]]);
  assert.equal(tokens.receive({ command: "PRIVMSG", params: ["#a", "hi"] }, 10), false);
  assert.equal(tokens.receive({ command: "EXTJWT", params: ["*", "*", "*", "abc."] }, 11), true);
  assert.equal(tokens.granted, false);
  assert.equal(tokens.receive({ command: "EXTJWT", params: ["*", "*", "def"] }, 11), true);
  assert.deepEqual([await first, await second, tokens.granted], ["abc.def", "abc.def", true]);
  assert.equal(await tokens.get(11 + TOKEN_REUSE - 1, send), "abc.def");
  assert.equal(sent.length, 1); // reused: nothing asked
  tokens.get(11 + TOKEN_REUSE, send); // too old
  assert.equal(sent.length, 2);
  tokens.receive({ command: "EXTJWT", params: ["*", "*", "new"] }, 80);
  tokens.forget("new"); // an upload with it failed
  tokens.get(81, send);
  assert.equal(sent.length, 3);
});

test("a refused token rejects the waiting uploads, and so does a lost connection", async () => {
  const tokens = new UploadTokens();
  const refused = tokens.get(0, () => {});
  tokens.receive({ command: "FAIL", params: ["EXTJWT", "ACCOUNT_REQUIRED", "Log in"] }, 0);
  await assert.rejects(refused, /Sign in to an account/);
  assert.equal(tokens.granted, false);
  const lost = tokens.get(0, () => {});
  tokens.reset();
  await assert.rejects(lost, /connection was lost/);
});

test("the request carries the credentials and the name", async () => {
  let seen;
  const fetchImpl = async (url, init) => {
    seen = { url, init };
    return { status: 201, headers: new Map([["Location", `${ORIGIN}/files/${"a".repeat(22)}`]]) };
  };
  const file = new Blob(["hi"], { type: "text/plain" });
  file.name = 'evil"name.txt';
  const link = await uploadFile(`${ORIGIN}/upload`, file, basicAuthorization("alice", "pässword"), fetchImpl);
  assert.equal(link, `${ORIGIN}/files/${"a".repeat(22)}`);
  assert.equal(seen.init.method, "POST");
  const decoded = Buffer.from(seen.init.headers.Authorization.slice(6), "base64").toString("utf8");
  assert.equal(decoded, "alice:pässword");
  assert.equal(seen.init.headers["Content-Disposition"], 'attachment; filename="evilname.txt"');
});

test("refusals become messages", async () => {
  const fetchImpl = async () => ({ status: 413, headers: new Map() });
  await assert.rejects(uploadFile("/upload", new Blob(["x"]), "Bearer t", fetchImpl), /too large/);
});

test("thumbnails only for our own shared files", () => {
  const name = "Ab_-".repeat(5) + "xy";
  assert.equal(thumbnailFor(`${ORIGIN}/files/${name}`, ORIGIN), `${ORIGIN}/files/${name}/thumb`);
  assert.equal(thumbnailFor(`https://evil.example/files/${name}`, ORIGIN), null);
  assert.equal(thumbnailFor(`${ORIGIN}/files/short`, ORIGIN), null);
  assert.equal(thumbnailFor("not a url", ORIGIN), null);
});
