/** A connector's status as `GET /connectors/{name}/status` returns it. */
export type ConnectorStatus = {
  name: string;
  connector: { state: string; worker_id: string; trace?: string };
  tasks: { id: number; state: string; worker_id: string; trace?: string }[];
};

/** The few Kafka Connect REST calls the project needs. */
export class ConnectRest {
  readonly url: string;

  constructor(url: string) {
    this.url = url.replace(/\/$/, "");
  }

  async #call(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers: { accept: "application/json", ...(body === undefined ? {} : { "content-type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await response.text();
    return { status: response.status, json: text ? JSON.parse(text) : null };
  }

  async #expect(method: string, path: string, ok: number[], body?: unknown): Promise<unknown> {
    const { status, json } = await this.#call(method, path, body);
    if (!ok.includes(status)) {
      throw new Error(`local-connect: ${method} ${path} answered ${status}: ${JSON.stringify(json)}`);
    }
    return json;
  }

  /** True once the worker's REST server answers (it may still be joining its group). */
  async ready(): Promise<boolean> {
    try {
      return (await this.#call("GET", "/connectors")).status === 200;
    } catch {
      return false;
    }
  }

  /** Create or update (idempotent: `PUT /connectors/{name}/config`). */
  async putConnector(name: string, config: Record<string, string>): Promise<void> {
    await this.#expect("PUT", `/connectors/${encodeURIComponent(name)}/config`, [200, 201], config);
  }

  async status(name: string): Promise<ConnectorStatus | undefined> {
    const { status, json } = await this.#call("GET", `/connectors/${encodeURIComponent(name)}/status`);
    return status === 404 ? undefined : (json as ConnectorStatus);
  }

  async pause(name: string): Promise<void> {
    await this.#expect("PUT", `/connectors/${encodeURIComponent(name)}/pause`, [202]);
  }

  /** Stops the tasks entirely (KIP-875); offsets and the slot stay; `resume` starts them again. */
  async stop(name: string): Promise<void> {
    await this.#expect("PUT", `/connectors/${encodeURIComponent(name)}/stop`, [202, 204]);
  }

  async resume(name: string): Promise<void> {
    await this.#expect("PUT", `/connectors/${encodeURIComponent(name)}/resume`, [202]);
  }

  async deleteConnector(name: string): Promise<void> {
    await this.#expect("DELETE", `/connectors/${encodeURIComponent(name)}`, [204, 404]);
  }

  /** Waits until the connector and every task report `state` (default RUNNING); fails fast on FAILED. */
  async waitForState(name: string, state = "RUNNING", timeoutMs = 120_000): Promise<ConnectorStatus> {
    const deadline = Date.now() + timeoutMs;
    let last: ConnectorStatus | undefined;
    for (;;) {
      // Right after a (re)start the herder may answer 409 (rebalancing) or time out.
      last = await this.status(name).catch(() => last);
      if (last) {
        const failed = [last.connector, ...last.tasks].find((s) => s.state === "FAILED");
        if (failed) throw new Error(`local-connect: connector ${name} FAILED:\n${failed.trace ?? JSON.stringify(last)}`);
        // A STOPPED connector has no tasks at all.
        const tasksDone =
          state === "STOPPED" ? last.tasks.length === 0 : last.tasks.length > 0 && last.tasks.every((t) => t.state === state);
        if (last.connector.state === state && tasksDone) return last;
      }
      if (Date.now() > deadline) {
        throw new Error(`local-connect: connector ${name} not ${state} within ${timeoutMs} ms: ${JSON.stringify(last)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}
