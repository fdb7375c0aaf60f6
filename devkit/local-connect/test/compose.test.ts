import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { loadOutboxConnector, REPO_ROOT } from "../src/index.ts";

// There is no Docker engine (nor the compose plugin) on the development machines and CI, so
// docker-compose.yml and the Dockerfiles are checked statically here (docs/deployment.md).
type Service = {
  image?: string;
  build?: { context?: string; dockerfile?: string; args?: Record<string, string> };
  command?: string[] | string;
  environment?: Record<string, string | number>;
  healthcheck?: { test?: string[] | string };
  depends_on?: Record<string, { condition: string }>;
  profiles?: string[];
  restart?: string;
};
const read = (path: string) => readFileSync(join(REPO_ROOT, path), "utf8");
const composeText = read("docker-compose.yml");
const compose = parse(composeText, { merge: true }) as { services: Record<string, Service> };
const services = compose.services;
const envExample = read(".env.example");

/** Dockerfile stages: FROM line, stage name, USER lines. */
function stages(dockerfile: string) {
  const out: { from: string; name?: string; users: string[]; lines: string[] }[] = [];
  for (const raw of dockerfile.split("\n")) {
    const line = raw.trim();
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) out.push({ from: from[1]!, ...(from[2] ? { name: from[2] } : {}), users: [], lines: [] });
    else if (out.length > 0) {
      out.at(-1)!.lines.push(line);
      const user = /^USER\s+(\S+)/i.exec(line);
      if (user) out.at(-1)!.users.push(user[1]!);
    }
  }
  return out;
}

describe("docker-compose.yml", () => {
  it("has the whole stack: PostgreSQL, Kafka, Connect + registration, api, relay, consumer, simulators", () => {
    for (const name of [
      "postgres",
      "kafka",
      "kafka-connect",
      "connect-register",
      "migrate",
      "api",
      "relay",
      "consumer",
      "inventory",
      "payment",
      "delivery",
      "notification",
      "projector",
      "postgres-read",
    ]) {
      expect(services, name).toHaveProperty(name);
    }
  });

  it("runs PostgreSQL with wal_level=logical and Kafka in KRaft mode", () => {
    expect(services.postgres!.command).toContain("wal_level=logical");
    const kafka = services.kafka!.environment!;
    expect(String(kafka.KAFKA_PROCESS_ROLES)).toContain("controller");
    expect(kafka.KAFKA_CONTROLLER_QUORUM_VOTERS).toBeDefined();
    expect(services.kafka!.image).toMatch(/apache\/kafka:/);
  });

  it("gives every long-running service a health check, and waits only on checks that exist", () => {
    for (const [name, service] of Object.entries(services)) {
      const oneShot = service.restart === "no";
      if (!oneShot) expect(service.healthcheck?.test, `${name} healthcheck`).toBeDefined();
      for (const [dep, { condition }] of Object.entries(service.depends_on ?? {})) {
        expect(services, `${name} depends on ${dep}`).toHaveProperty(dep);
        expect(["service_started", "service_healthy", "service_completed_successfully"]).toContain(condition);
        if (condition === "service_healthy") expect(services[dep]!.healthcheck, `${dep} healthcheck`).toBeDefined();
        if (condition === "service_completed_successfully") expect(services[dep]!.restart, `${dep} one-shot`).toBe("no");
      }
    }
  });

  it("builds each Node service from the shared Dockerfile with an entry point that exists", () => {
    for (const [name, service] of Object.entries(services)) {
      if (service.build?.dockerfile !== "Dockerfile") continue;
      const { APP_DIR, APP_MAIN } = service.build.args ?? {};
      expect(APP_DIR, name).toBeDefined();
      expect(existsSync(join(REPO_ROOT, APP_DIR!, "package.json")), `${name}: ${APP_DIR}/package.json`).toBe(true);
      expect(existsSync(join(REPO_ROOT, APP_DIR!, APP_MAIN!)), `${name}: ${APP_DIR}/${APP_MAIN}`).toBe(true);
    }
  });

  it("takes every interpolated variable from .env.example", () => {
    const used = new Set([...composeText.matchAll(/\$\{([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]!));
    const documented = new Set([...envExample.matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!));
    expect([...used].filter((v) => !documented.has(v))).toEqual([]);
  });

  it("gives Kafka Connect every env:VAR the connector config refers to, and registers the checked-in file", () => {
    const { config } = loadOutboxConnector();
    const needed = new Set(Object.values(config).flatMap((v) => [...v.matchAll(/\$\{env:([A-Z0-9_]+)\}/g)].map((m) => m[1]!)));
    const env = services["kafka-connect"]!.environment!;
    for (const name of needed) expect(env, name).toHaveProperty(name);
    expect(env.CONNECT_CONFIG_PROVIDERS).toBe("env");
    expect(services["connect-register"]!.command).toContain("/app/deploy/debezium/outbox-connector.json");
    expect(services["kafka-connect"]!.profiles).toEqual(["debezium"]);
  });
});

describe("Dockerfiles", () => {
  it("app image: multi-stage, Node 24, production dependencies only, runs as a non-root user", () => {
    const text = read("Dockerfile");
    expect(text).toMatch(/ARG NODE_IMAGE=node:24[-\w.]*/);
    const s = stages(text.replace(/\$\{NODE_IMAGE\}/g, "node:24"));
    expect(s.length).toBeGreaterThanOrEqual(2);
    expect(s.every((stage) => stage.from.startsWith("node:24"))).toBe(true);
    expect(s.some((stage) => stage.lines.some((l) => /npm ci\b.*--omit=dev/.test(l)))).toBe(true);
    const final = s.at(-1)!;
    expect(final.users.at(-1)).toBeDefined();
    expect(["root", "0"]).not.toContain(final.users.at(-1));
    // Everything a COPY names exists in the build context.
    for (const line of final.lines.filter((l) => /^COPY\s/i.test(l) && !/--from=/.test(l))) {
      const parts = line.split(/\s+/).filter((p) => !p.startsWith("--"));
      for (const src of parts.slice(1, -1)) expect(existsSync(join(REPO_ROOT, src)), src).toBe(true);
    }
  });

  it("app image: no deployable's production dependencies reach the test and local scaffolding (--omit=dev leaves it out)", () => {
    const scaffolding = ["testkit", "local-postgres", "local-kafka", "local-connect", "simulators", "stack"].map((n) => `@orders/${n}`);
    const dirOf = new Map<string, string>();
    for (const root of ["apps", "packages", "devkit"]) {
      for (const dir of readdirSync(join(REPO_ROOT, root))) {
        const file = join(root, dir, "package.json");
        if (existsSync(join(REPO_ROOT, file))) dirOf.set((JSON.parse(read(file)) as { name: string }).name, file);
      }
    }
    const deps = (name: string): string[] =>
      Object.keys((JSON.parse(read(dirOf.get(name) as string)) as { dependencies?: Record<string, string> }).dependencies ?? {});
    for (const app of ["@orders/api", "@orders/relay", "@orders/consumer"]) {
      const reached = new Set<string>();
      const visit = (name: string) => {
        for (const dep of deps(name).filter((d) => dirOf.has(d) && !reached.has(d))) {
          reached.add(dep);
          visit(dep);
        }
      };
      visit(app);
      expect(
        [...reached].filter((d) => scaffolding.includes(d)),
        app,
      ).toEqual([]);
    }
  });

  it("Connect image: Debezium base, the DropNullHeaders transform built in, unprivileged user", () => {
    const text = read("deploy/debezium/Dockerfile");
    const s = stages(text);
    expect(text).toMatch(/ARG DEBEZIUM_IMAGE=quay\.io\/debezium\/connect:3\.7\.0\.Final/);
    expect(s.find((x) => x.name === "smt")!.lines.join("\n")).toMatch(/javac --release 17/);
    const final = s.at(-1)!;
    expect(final.lines.join("\n")).toMatch(/order-service-smt\.jar \/kafka\/connect\/order-service-smt\//);
    expect(["root", "0"]).not.toContain(final.users.at(-1));
    expect(existsSync(join(REPO_ROOT, "deploy/debezium/smt/src/main/java/orders/connect/transforms/DropNullHeaders.java"))).toBe(true);
  });

  it("keeps node_modules and secrets out of the build context", () => {
    const ignore = read(".dockerignore");
    expect(ignore).toMatch(/^\*\*\/node_modules$/m);
    expect(ignore).toMatch(/^\.env$/m);
  });
});
