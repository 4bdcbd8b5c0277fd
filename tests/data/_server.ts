/**
 * A local HTTP server for the download tests: serves files from a folder on
 * 127.0.0.1 (port 0), honours `Range`, and can be told to misbehave per path.
 *
 * @module
 */

/** How the server treats one request path. */
export type Behaviour =
  | "ok"
  | "404"
  | "500"
  /** First request: sends half the body, then drops the connection. Later ones: ok. */
  | "drop-half-once"
  /** Serves the file with one byte flipped. */
  | "corrupt"
  /** Ignores Range and always answers 200 with the whole body. */
  | "no-range";

/** A request as the server saw it. */
export interface SeenRequest {
  path: string;
  range: string | null;
}

/** A running test server. */
export interface TestServer {
  url: string;
  requests: SeenRequest[];
  behaviour: Map<string, Behaviour>;
  close(): Promise<void>;
}

/**
 * Starts a server for `root`. Refuses to answer more than `maxRequests`
 * requests (500), so a retry loop cannot run away.
 */
export function startServer(root: string, maxRequests = 200): TestServer {
  const requests: SeenRequest[] = [];
  const behaviour = new Map<string, Behaviour>();
  const dropped = new Set<string>();
  const ac = new AbortController();
  const server = Deno.serve(
    {
      hostname: "127.0.0.1",
      port: 0,
      signal: ac.signal,
      onListen: () => {},
      onError: () => new Response("server error", { status: 500 }),
    },
    async (req) => {
      const path = decodeURIComponent(new URL(req.url).pathname);
      const range = req.headers.get("range");
      requests.push({ path, range });
      if (requests.length > maxRequests) return new Response("too many requests", { status: 500 });
      const mode = behaviour.get(path) ?? "ok";
      if (mode === "404") return new Response("not found", { status: 404 });
      if (mode === "500") return new Response("boom", { status: 500 });
      if (path.includes("..")) return new Response("bad path", { status: 400 });
      let body: Uint8Array<ArrayBuffer>;
      try {
        body = await Deno.readFile(`${root}${path}`);
      } catch {
        return new Response("not found", { status: 404 });
      }
      if (mode === "corrupt") {
        body = body.slice();
        body[body.length >> 1] ^= 0xff;
      }
      if (mode === "drop-half-once" && !dropped.has(path)) {
        dropped.add(path);
        const half = body.subarray(0, body.length >> 1);
        const stream = new ReadableStream<Uint8Array>({
          start(ctrl) {
            ctrl.enqueue(half);
          },
          pull(ctrl) {
            ctrl.error(new Error("connection dropped by test server"));
          },
        });
        return new Response(stream, {
          status: 200,
          headers: { "content-length": String(body.length) },
        });
      }
      const m = range && mode !== "no-range" ? /^bytes=(\d+)-$/.exec(range) : null;
      if (m) {
        const start = Number(m[1]);
        if (start >= body.length) {
          return new Response(null, {
            status: 416,
            headers: { "content-range": `bytes */${body.length}` },
          });
        }
        return new Response(body.slice(start), {
          status: 206,
          headers: { "content-range": `bytes ${start}-${body.length - 1}/${body.length}` },
        });
      }
      return new Response(body, { status: 200 });
    },
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    requests,
    behaviour,
    async close() {
      ac.abort();
      await server.finished;
    },
  };
}

/** Whether `path` exists (file or folder). */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}
