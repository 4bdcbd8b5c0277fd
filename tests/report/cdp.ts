/**
 * A minimal headless-Chromium driver over the Chrome DevTools Protocol (WebSocket), enough for
 * the report's browser test: open a page, collect console errors and requests, evaluate
 * JavaScript, take screenshots. No npm packages.
 * @module
 */

/**
 * The browser, looked up on PATH like any other tool (Debian's `chromium` package puts it in
 * /usr/bin), so a PATH without it stands for a machine without it.
 */
export const CHROMIUM = "chromium";

/** True when `name` is a file in one of PATH's folders (a name with a slash: that file). */
export function hasChromium(name = CHROMIUM): boolean {
  const dirs = name.includes("/") ? [""] : (Deno.env.get("PATH") ?? "").split(":");
  return dirs.some((d) => {
    try {
      return Deno.statSync(d ? `${d}/${name}` : name).isFile;
    } catch {
      return false;
    }
  });
}

type Json = Record<string, unknown>;

/** What the page reported while it was open. */
export interface PageLog {
  /** Console errors, uncaught exceptions and log entries at level "error". */
  errors: string[];
  /** URLs the page requested (the report itself included). */
  requests: string[];
}

/** A running headless Chromium with one attached page. */
export class Browser {
  readonly log: PageLog = { errors: [], requests: [] };
  #nextId = 1;
  #pending = new Map<number, { resolve: (v: Json) => void; reject: (e: Error) => void }>();
  #listeners: ((method: string, params: Json) => void)[] = [];
  #sessionId = "";
  #stderrDone: Promise<void>;

  private constructor(
    readonly child: Deno.ChildProcess,
    readonly ws: WebSocket,
    stderrDone: Promise<void>,
    readonly profileDir: string,
  ) {
    this.#stderrDone = stderrDone;
    ws.onmessage = (ev) => this.#onMessage(JSON.parse(String(ev.data)));
    ws.onclose = () => {
      for (const p of this.#pending.values()) p.reject(new Error("DevTools connection closed"));
      this.#pending.clear();
    };
  }

  /** Starts Chromium, connects to its DevTools endpoint and attaches to a new blank page. */
  static async launch(opts: { timeoutMs?: number } = {}): Promise<Browser> {
    const profileDir = await Deno.makeTempDir({ prefix: "report-chromium-profile-" });
    const child = new Deno.Command(CHROMIUM, {
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--no-default-browser-check",
        "--hide-scrollbars",
        `--user-data-dir=${profileDir}`,
        "--remote-debugging-port=0",
        "about:blank",
      ],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    // Read stderr to its end (else the pipe fills and the resource leaks); resolve the
    // DevTools URL from the line that announces it.
    let resolveUrl: (url: string) => void = () => {};
    const urlPromise = new Promise<string>((r) => resolveUrl = r);
    const stderrLines: string[] = [];
    const stderrDone = (async () => {
      let buffer = "";
      const decoder = new TextDecoder();
      for await (const chunk of child.stderr) {
        buffer += decoder.decode(chunk, { stream: true });
        let nl: number;
        while ((nl = buffer.indexOf("\n")) >= 0) {
          const line = buffer.slice(0, nl);
          buffer = buffer.slice(nl + 1);
          if (stderrLines.length < 50) stderrLines.push(line);
          const m = /DevTools listening on (ws:\/\/\S+)/.exec(line);
          if (m) resolveUrl(m[1]);
        }
      }
    })();
    const timeoutMs = opts.timeoutMs ?? 20_000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const url = await Promise.race([
      urlPromise,
      child.status.then((s) => `exited:${s.code}`),
      new Promise<string>((r) => timer = setTimeout(() => r("timeout"), timeoutMs)),
    ]).finally(() => clearTimeout(timer));
    if (!url.startsWith("ws://")) {
      try {
        child.kill("SIGKILL");
      } catch { /* already exited */ }
      await child.status;
      await stderrDone;
      await Deno.remove(profileDir, { recursive: true }).catch(() => {});
      throw new Error(
        `Chromium did not announce a DevTools endpoint (${url}); stderr:\n${
          stderrLines.join("\n")
        }`,
      );
    }
    const ws = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      ws.onopen = () => resolve();
      ws.onerror = (e) =>
        reject(new Error(`Cannot connect to ${url}: ${(e as ErrorEvent).message}`));
    });
    const browser = new Browser(child, ws, stderrDone, profileDir);
    try {
      const { targetId } = await browser.send("Target.createTarget", { url: "about:blank" });
      const { sessionId } = await browser.send("Target.attachToTarget", {
        targetId,
        flatten: true,
      });
      browser.#sessionId = String(sessionId);
      browser.#listeners.push((method, params) => browser.#record(method, params));
      for (const domain of ["Runtime", "Log", "Page", "Network"]) {
        await browser.page(`${domain}.enable`);
      }
    } catch (e) {
      await browser.close();
      throw e;
    }
    return browser;
  }

  #onMessage(msg: Json) {
    if (typeof msg.id === "number") {
      const p = this.#pending.get(msg.id);
      if (!p) return;
      this.#pending.delete(msg.id);
      if (msg.error) p.reject(new Error(`DevTools: ${JSON.stringify(msg.error)}`));
      else p.resolve((msg.result ?? {}) as Json);
    } else if (typeof msg.method === "string") {
      if (msg.sessionId && msg.sessionId !== this.#sessionId) return;
      for (const l of this.#listeners) l(msg.method, (msg.params ?? {}) as Json);
    }
  }

  #record(method: string, params: Json) {
    if (method === "Runtime.consoleAPICalled" && params.type === "error") {
      const args = (params.args ?? []) as Json[];
      this.log.errors.push(`console.error: ${args.map((a) => a.value ?? a.description).join(" ")}`);
    } else if (method === "Runtime.exceptionThrown") {
      const d = params.exceptionDetails as Json;
      const ex = d.exception as Json | undefined;
      this.log.errors.push(`exception: ${ex?.description ?? d.text}`);
    } else if (method === "Log.entryAdded") {
      const e = params.entry as Json;
      if (e.level === "error") this.log.errors.push(`log: ${e.text} ${e.url ?? ""}`.trim());
    } else if (method === "Network.requestWillBeSent") {
      this.log.requests.push(String((params.request as Json).url));
    }
  }

  /** Sends a browser-level command. */
  send(method: string, params: Json = {}, sessionId?: string): Promise<Json> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.ws.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
    });
  }

  /** Sends a command to the attached page. */
  page(method: string, params: Json = {}): Promise<Json> {
    return this.send(method, params, this.#sessionId);
  }

  /** Resolves on the next event of this name from the page (or rejects after `timeoutMs`). */
  waitFor(method: string, timeoutMs: number): Promise<Json> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#listeners = this.#listeners.filter((l) => l !== listener);
        reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${method}`));
      }, timeoutMs);
      const listener = (m: string, p: Json) => {
        if (m !== method) return;
        clearTimeout(timer);
        this.#listeners = this.#listeners.filter((l) => l !== listener);
        resolve(p);
      };
      this.#listeners.push(listener);
    });
  }

  /** Sets the viewport (CSS pixels). */
  async viewport(width: number, height: number, mobile = false): Promise<void> {
    await this.page("Emulation.setDeviceMetricsOverride", {
      width,
      height,
      deviceScaleFactor: 1,
      mobile,
    });
  }

  /** Navigates and waits for the load event. */
  async goto(url: string, timeoutMs = 15_000): Promise<void> {
    const loaded = this.waitFor("Page.loadEventFired", timeoutMs);
    const r = await this.page("Page.navigate", { url });
    if (r.errorText) throw new Error(`Cannot open ${url}: ${r.errorText}`);
    await loaded;
  }

  /** Evaluates an expression in the page and returns its value (awaiting promises). */
  async evaluate<T>(expression: string): Promise<T> {
    const r = await this.page("Runtime.evaluate", {
      expression,
      returnByValue: true,
      awaitPromise: true,
    });
    if (r.exceptionDetails) {
      const d = r.exceptionDetails as Json;
      throw new Error(`In-page evaluation failed: ${(d.exception as Json)?.description ?? d.text}`);
    }
    return (r.result as Json).value as T;
  }

  /** Polls an expression until it is truthy. */
  async until(expression: string, timeoutMs: number): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      if (await this.evaluate<boolean>(`Boolean(${expression})`)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`Timed out after ${timeoutMs} ms waiting for ${expression}`);
  }

  /** A PNG of the viewport, or of the whole page when `fullPage`. */
  async screenshot(path: string, fullPage = false): Promise<void> {
    const params: Json = { format: "png" };
    if (fullPage) {
      const m = await this.page("Page.getLayoutMetrics");
      const size = (m.cssContentSize ?? m.contentSize) as { width: number; height: number };
      params.captureBeyondViewport = true;
      params.clip = {
        x: 0,
        y: 0,
        width: size.width,
        height: Math.min(size.height, 16_000),
        scale: 1,
      };
    }
    const { data } = await this.page("Page.captureScreenshot", params);
    await Deno.writeFile(path, Uint8Array.from(atob(String(data)), (c) => c.charCodeAt(0)));
  }

  /** Closes the connection, kills Chromium and removes its profile directory. */
  async close(): Promise<void> {
    try {
      if (this.ws.readyState === WebSocket.OPEN) {
        const closed = new Promise((r) => this.ws.addEventListener("close", r, { once: true }));
        this.ws.close();
        let timer: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([closed, new Promise((r) => timer = setTimeout(r, 1_000))]);
        clearTimeout(timer);
      }
    } finally {
      try {
        this.child.kill("SIGKILL");
      } catch { /* already exited */ }
      await this.child.status;
      await this.#stderrDone;
      await Deno.remove(this.profileDir, { recursive: true }).catch(() => {});
    }
  }
}
