// Sharing files from the page (soju.im/filehost, docs/protocol.md): POST the file
// to the server's upload URL with the account's credentials, then send the link
// it answers with as an ordinary message. No DOM here: app.js wires the button,
// paste and drag-and-drop; view.js shows thumbnails.

const FILE_PATH = /^\/files\/([A-Za-z0-9_-]{22})$/;

/**
 * Where this page may upload, or null: the server must advertise soju.im/FILEHOST
 * and the user must be signed in with a password (an upload is made by an
 * account). A URL on another origin is replaced by our own /upload: the page's
 * CSP lets it connect to its own origin only.
 */
export function uploadUrl(isupport, password, origin) {
  const advertised = isupport?.["soju.im/FILEHOST"];
  if (!advertised || !password) return null;
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
  411: "The upload was malformed.",
  413: "That file is too large, or your storage is full.",
  429: "Too many uploads; wait a minute.",
  507: "The server has no room for that file.",
};

/**
 * Upload `file` (a Blob with a name) as `account`; resolve to the file's URL or
 * reject with an Error whose message can be shown. `fetchImpl` is for tests.
 */
export async function uploadFile(url, file, account, password, fetchImpl = fetch) {
  const credentials = new TextEncoder().encode(`${account}:${password}`);
  const name = (file.name || "file").replace(/[^A-Za-z0-9._ -]/g, "");
  const response = await fetchImpl(url, {
    method: "POST",
    headers: {
      Authorization: `Basic ${btoa(String.fromCharCode(...credentials))}`,
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
