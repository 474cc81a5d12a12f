// Evidence sinks: JSON lines (file and stream), in-memory, and HTTP POST to a real local server.
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { create, fromJsonString } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { types } from "@plugwire/contract";
import { afterEach, describe, expect, test } from "vitest";
import { createHttpSink, createJsonLinesSink, createMemorySink, PlugwireError } from "../../src/index.js";
import { tempRoot } from "../support/go-fixtures.js";

const evidence = [
  create(types.EvidenceSchema, {
    UUID: "u-1",
    Title: "one",
    Remarks: "",
    Start: timestampFromMs(1_700_000_000_123),
    Labels: { a: "b" },
    Status: { State: types.EvidenceStatusState.NOT_SATISFIED },
  }),
  create(types.EvidenceSchema, { UUID: "u-2", Title: "two" }),
];
const batch = { plugin: "p", evidence, labels: { team: "x" } };
const roots: ReturnType<typeof tempRoot>[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) r.remove();
});

describe("evidence sinks", () => {
  test("JSON lines to a file: one protobuf-JSON object per evidence, read back equal (optional empty string kept)", async () => {
    const root = tempRoot();
    roots.push(root);
    const path = join(root.path, "ev.jsonl");
    const sink = createJsonLinesSink({ path });
    await sink.write(batch);
    await sink.write({ ...batch, evidence: [evidence[1] as types.Evidence] });
    await sink.close();
    await sink.close();
    const lines = readFileSync(path, "utf8").split("\n");
    expect(lines.at(-1)).toBe("");
    const back = lines.slice(0, -1).map((l) => fromJsonString(types.EvidenceSchema, l));
    expect(back).toEqual([...evidence, evidence[1]]);
    expect(back[0]?.Remarks).toBe("");
  });

  test("JSON lines to a stream leave the stream open", async () => {
    const stream = new PassThrough();
    let text = "";
    stream.setEncoding("utf8").on("data", (s: string) => (text += s));
    const sink = createJsonLinesSink({ stream });
    await sink.write(batch);
    await sink.close();
    expect(stream.writable).toBe(true);
    expect(
      text
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l).UUID),
    ).toEqual(["u-1", "u-2"]);
  });

  test("memory sink keeps batches in order", async () => {
    const sink = createMemorySink();
    await sink.write(batch);
    expect(sink.batches).toEqual([batch]);
    expect(sink.evidence()).toEqual(evidence);
  });

  test("HTTP sink POSTs { plugin, labels, evidence } as JSON; a non-2xx answer is an error naming plugin and status", async () => {
    const received: { body: unknown; type: string | undefined; auth: string | undefined }[] = [];
    let status = 201;
    const server = createServer(async (req: IncomingMessage, res) => {
      let body = "";
      for await (const chunk of req) body += chunk;
      received.push({
        body: JSON.parse(body),
        type: req.headers["content-type"],
        auth: req.headers.authorization,
      });
      res.writeHead(status).end(status === 201 ? "" : "quota exceeded");
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/evidence`;
      const sink = createHttpSink({ url, headers: { authorization: "Bearer t" } });
      await sink.write(batch);
      expect(received).toEqual([
        {
          body: {
            plugin: "p",
            labels: { team: "x" },
            evidence: [
              {
                UUID: "u-1",
                Title: "one",
                Remarks: "",
                Labels: { a: "b" },
                Start: "2023-11-14T22:13:20.123Z",
                Status: { State: "EVIDENCE_STATUS_STATE_NOT_SATISFIED" },
              },
              { UUID: "u-2", Title: "two" },
            ],
          },
          type: "application/json",
          auth: "Bearer t",
        },
      ]);
      status = 429;
      const err = await sink.write(batch).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PlugwireError);
      expect((err as PlugwireError).message).toBe(
        `plugin p: evidence POST to ${url} answered 429: quota exceeded`,
      );
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
