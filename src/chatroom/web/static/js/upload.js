// Sharing files from the page (soju.im/filehost, docs/protocol.md): POST the file
// to the server's upload URL, then send the link it answers with as an ordinary
// message. The credentials: a session token (IRCv3 draft EXTJWT, `Authorization:
// Bearer`) when the server advertises EXTJWT, so no password is needed and a guest
// can share where the server allows it; HTTP Basic with the account's password from a
// server without it. No DOM here: app.js wires the button, paste and drag-and-drop;
// client.js feeds UploadTokens the lines; view.js shows thumbnails.

const FILE_PATH = /^\/files\/([A-Za-z0-9_-]{22})$/;

/** Seconds a token is used again for the next upload: well inside the server's
 * lifetime (5 minutes on ours), so it never expires in between. */
export const TOKEN_REUSE = 60;

/**
 * Where this page may upload, or null: the server must advertise soju.im/FILEHOST
 * and `allowed` say the user may upload (signed in, or a guest the server gave a
 * token). A URL on another origin is replaced by our own /upload: the page's CSP
 * lets it connect to its own origin only.
 */
export function uploadUrl(isupport, allowed, origin) {
  const advertised = isupport?.["soju.im/FILEHOST"];
  if (!advertised || !allowed) return null;
  try {
    const url = new URL(advertised, origin);
    return url.origin === origin ? url.href : new URL("/upload", origin).href;
  } catch {
    return null;
  }
}

/** What a refusal means, for the user (docs/protocol.md lists the statuses). */
const REFUSALS = {
  401: "The server did not accept your account for uploads.",
  403: "Sign in to an account to share files here.",
  411: "The upload was malformed.",
  413: "That file is too large, or your storage is full.",
  429: "Too many uploads; wait a minute.",
  507: "The server has no room for that file.",
};

/** The `Authorization` value for a server without EXTJWT: the account's name and
 * password (HTTP Basic, RFC 7617). */
export function basicAuthorization(account, password) {
  const credentials = new TextEncoder().encode(`${account}:${password}`);
  return `Basic ${btoa(String.fromCharCode(...credentials))}`;
}

/**
 * The upload tokens of one connection (EXTJWT): `get()` promises a token, asking
 * with `EXTJWT *` unless one younger than TOKEN_REUSE is in hand; `receive()` takes
 * the server's answers (a token in pieces, each but the last after a `*`, or `FAIL
 * EXTJWT`); `forget()` drops a token an upload failed with; `reset()` when the
 * connection ends (its tokens end with it). `granted`: a token came on this
 * connection (a guest may upload). Times are seconds of one monotonic clock.
 */
export class UploadTokens {
  constructor() {
    this.waiting = [];
    this.reset();
  }

  reset() {
    for (const { reject } of this.waiting) reject(new Error("The connection was lost."));
    this.token = "";
    this.received = 0;
    this.pieces = [];
    this.waiting = [];
    this.asked = false;
    this.granted = false;
  }

  /** A token (a promise); `send(command, ...params)` asks the server for one. */
  get(now, send) {
    if (this.token && now - this.received < TOKEN_REUSE) return Promise.resolve(this.token);
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      if (!this.asked) {
        this.asked = true;
        send("EXTJWT", "*");
      }
    });
  }

  /** A line from the server ({command, params}); true if it was an answer to us. */
  receive(line, now) {
    const p = line.params;
    if (line.command === "EXTJWT" && p[0] === "*" && p.length >= 3) {
      this.pieces.push(p[p.length - 1]);
      if (p.length > 3 && p[2] === "*") return true;
      this.token = this.pieces.join("");
      this.pieces = [];
      this.received = now;
      this.asked = false;
      this.granted = true;
      this.settle(({ resolve }) => resolve(this.token));
      return true;
    }
    if (line.command === "FAIL" && p[0] === "EXTJWT") {
      const text = p[1] === "ACCOUNT_REQUIRED" ? REFUSALS[403] : `No upload token: ${p[p.length - 1]}`;
      this.pieces = [];
      this.asked = false;
      this.settle(({ reject }) => reject(new Error(text)));
      return true;
    }
    return false;
  }

  forget(token) {
    if (this.token === token) this.token = "";
  }

  settle(each) {
    const waiting = this.waiting;
    this.waiting = [];
    waiting.forEach(each);
  }
}

/**
 * Upload `file` (a Blob with a name) with the `Authorization` value `authorization`
 * (`Bearer <token>` or basicAuthorization()); resolve to the file's URL or reject
 * with an Error whose message can be shown. `fetchImpl` is for tests.
 */
export async function uploadFile(url, file, authorization, fetchImpl = fetch) {
  const name = (file.name || "file").replace(/[^A-Za-z0-9._ -]/g, "");
  const response = await fetchImpl(url, {
    method: "POST",
    headers: {
      Authorization: authorization,
      "Content-Disposition": `attachment; filename="${name || "file"}"`,
      "Content-Type": file.type || "application/octet-stream",
    },
    body: file,
  });
  if (response.status === 201 && response.headers.get("Location")) return response.headers.get("Location");
  throw new Error(REFUSALS[response.status] ?? `The upload failed (${response.status}).`);
}

/** The thumbnail URL for a link to one of this server's shared files, or null. */
export function thumbnailFor(href, origin) {
  let url;
  try {
    url = new URL(href);
  } catch {
    return null;
  }
  if (url.origin !== origin || !FILE_PATH.test(url.pathname)) return null;
  return `${url.origin}${url.pathname}/thumb`;
}
