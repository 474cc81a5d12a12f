// Wire-format tests for the generated runner / go-plugin / health code: a fully populated Evidence
// round trip (binary and JSON), and hand-computed wire bytes for small messages.
// Tag byte = (field_number << 3) | wire_type; wire types: 0 = VARINT, 1 = I64, 2 = LEN (length-prefixed).
import {
  create,
  type DescMessage,
  equals,
  fromBinary,
  fromJson,
  isFieldSet,
  type Message,
  type MessageShape,
  toBinary,
  toJson,
} from "@bufbuild/protobuf";
import { TimestampSchema, timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { HealthCheckRequestSchema } from "../gen/grpc/health/v1/health_pb.js";
import { ConnInfoSchema } from "../gen/plugin/grpc_broker_pb.js";
import { StdioData_Channel, StdioDataSchema } from "../gen/plugin/grpc_stdio_pb.js";
import {
  ConfigureRequestSchema,
  EvalRequestSchema,
  InitResponseSchema,
} from "../gen/runner/proto/runner_pb.js";
import {
  type Evidence,
  EvidenceSchema,
  EvidenceStatusState,
  type Link,
  LinkSchema,
  type Property,
  PropertySchema,
  RiskTemplateSchema,
  SubjectType,
} from "../gen/runner/proto/types_pb.js";

// Hex literal with optional `-- comment` to end of line; rejects anything that is not whole hex bytes.
function hex(annotated: string): Uint8Array {
  const digits = annotated.replace(/--.*$/gm, "").replace(/\s+/g, "");
  if (!/^(?:[0-9a-f]{2})*$/.test(digits)) throw new Error(`bad hex literal: ${digits}`);
  return Uint8Array.from(Buffer.from(digits, "hex"));
}

const link = (n: string): Link =>
  create(LinkSchema, {
    Href: `https://example.com/${n}`,
    Rel: `rel-${n}`,
    MediaType: "application/json",
    ResourceFragment: `#frag-${n}`,
    Text: `text ${n}`,
  });

const prop = (n: string): Property =>
  create(PropertySchema, {
    Name: `name-${n}`,
    Value: `value-${n}`,
    Uuid: `uuid-${n}`,
    Ns: `https://ns.example.com/${n}`,
    Class: `class-${n}`,
    Group: `group-${n}`,
    Remarks: `remarks-${n}`,
  });

function fullEvidence(): Evidence {
  return create(EvidenceSchema, {
    UUID: "3f9a1c2e-0000-4000-8000-000000000001",
    Title: "Evidence title",
    Description: "Evidence description",
    Remarks: "Evidence remarks",
    Labels: { provider: "aws", "env.name": "prod", empty: "" },
    Start: create(TimestampSchema, { seconds: 1_700_000_000n, nanos: 123_456_789 }),
    End: timestampFromDate(new Date("2024-01-02T03:04:05.678Z")),
    Expires: create(TimestampSchema, { seconds: 1_800_000_000n, nanos: 1 }),
    Links: [link("ev1"), link("ev2")],
    Props: [prop("ev1"), prop("ev2")],
    Origins: [
      {
        Actors: [
          {
            UUID: "actor-uuid",
            Title: "Actor",
            RoleId: "role",
            Type: "tool",
            Links: [link("actor")],
            Props: [prop("actor")],
          },
        ],
      },
    ],
    Activities: [
      {
        UUID: "activity-uuid",
        Title: "Activity",
        Description: "Activity description",
        Remarks: "Activity remarks",
        Steps: [
          {
            UUID: "step-uuid",
            Title: "Step",
            Description: "Step description",
            Remarks: "Step remarks",
            Links: [link("step")],
            Props: [prop("step")],
          },
        ],
        Links: [link("activity")],
        Props: [prop("activity")],
      },
    ],
    InventoryItems: [
      {
        Identifier: "inv-1",
        Type: "operating-system",
        Title: "Inventory",
        Description: "Inventory description",
        Remarks: "Inventory remarks",
        Links: [link("inv")],
        Props: [prop("inv")],
        ImplementedComponents: [{ Identifier: "comp-1" }, { Identifier: "comp-2" }],
      },
    ],
    Components: [
      {
        Identifier: "comp-1",
        Type: "service",
        Title: "Component",
        Description: "Component description",
        Remarks: "Component remarks",
        Purpose: "Component purpose",
        Protocols: [
          {
            UUID: "proto-uuid",
            Name: "https",
            Title: "HTTPS",
            PortRanges: [{ Start: 443, End: 8443, Transport: "TCP" }],
          },
        ],
        Links: [link("comp")],
        Props: [prop("comp")],
      },
    ],
    Subjects: [
      {
        Identifier: "subject-1",
        Type: SubjectType.USER,
        Description: "Subject description",
        Remarks: "Subject remarks",
        Links: [link("subject")],
        Props: [prop("subject")],
      },
    ],
    Status: {
      Reason: "policy violated",
      Remarks: "Status remarks",
      State: EvidenceStatusState.NOT_SATISFIED,
    },
  });
}

// Walks a message tree and returns the paths of every field that is NOT set (empty list, zero scalar...).
function unsetFields(desc: DescMessage, msg: Message, path = desc.name): string[] {
  const out: string[] = [];
  const rec = msg as unknown as Record<string, unknown>;
  for (const f of desc.fields) {
    if (!isFieldSet(msg, f)) out.push(`${path}.${f.name}`);
    if (f.fieldKind === "message") {
      const v = rec[f.localName];
      if (v !== undefined) out.push(...unsetFields(f.message, v as Message, `${path}.${f.name}`));
    } else if (f.fieldKind === "list" && f.listKind === "message") {
      (rec[f.localName] as Message[]).forEach((v, i) => {
        out.push(...unsetFields(f.message, v, `${path}.${f.name}[${i}]`));
      });
    }
  }
  return out;
}

describe("Evidence with every field set", () => {
  it("has no unset field anywhere in the tree (so the round trips below cover every field)", () => {
    expect(unsetFields(EvidenceSchema, fullEvidence())).toEqual([]);
  });

  it("survives toBinary → fromBinary (equals and deep equality)", () => {
    const ev = fullEvidence();
    const bytes = toBinary(EvidenceSchema, ev);
    const back = fromBinary(EvidenceSchema, bytes);
    expect(equals(EvidenceSchema, back, ev)).toBe(true);
    expect(back).toStrictEqual(ev);
    expect(back.Start?.nanos).toBe(123_456_789);
    expect(back.Expires?.nanos).toBe(1);
    expect(back.End && timestampDate(back.End).toISOString()).toBe("2024-01-02T03:04:05.678Z");
    expect(back.Labels).toEqual({ provider: "aws", "env.name": "prod", empty: "" });
    // Canonical re-encoding is stable.
    expect(toBinary(EvidenceSchema, back)).toEqual(bytes);
    // A change deep in the tree is seen by equals().
    const changed = fromBinary(EvidenceSchema, bytes);
    const range = changed.Components[0]?.Protocols[0]?.PortRanges[0];
    if (range) range.End = 8444;
    expect(equals(EvidenceSchema, changed, ev)).toBe(false);
  });

  it("survives toJson → fromJson with the upstream PascalCase JSON names", () => {
    const ev = fullEvidence();
    const json = toJson(EvidenceSchema, ev) as Record<string, unknown>;
    expect(Object.keys(json)).toEqual([
      "UUID",
      "Title",
      "Description",
      "Remarks",
      "Labels",
      "Start",
      "End",
      "Expires",
      "Links",
      "Props",
      "Origins",
      "Activities",
      "InventoryItems",
      "Components",
      "Subjects",
      "Status",
    ]);
    expect(json).toMatchObject({
      UUID: "3f9a1c2e-0000-4000-8000-000000000001",
      Labels: { provider: "aws", "env.name": "prod", empty: "" },
      Start: "2023-11-14T22:13:20.123456789Z",
      End: "2024-01-02T03:04:05.678Z",
      Expires: "2027-01-15T08:00:00.000000001Z",
      Links: [
        {
          Href: "https://example.com/ev1",
          Rel: "rel-ev1",
          MediaType: "application/json",
          ResourceFragment: "#frag-ev1",
          Text: "text ev1",
        },
        {},
      ],
      Props: [
        {
          Name: "name-ev1",
          Value: "value-ev1",
          Uuid: "uuid-ev1",
          Ns: "https://ns.example.com/ev1",
          Class: "class-ev1",
          Group: "group-ev1",
          Remarks: "remarks-ev1",
        },
        {},
      ],
      Origins: [{ Actors: [{ UUID: "actor-uuid", RoleId: "role", Type: "tool" }] }],
      Activities: [{ UUID: "activity-uuid", Steps: [{ UUID: "step-uuid", Remarks: "Step remarks" }] }],
      InventoryItems: [{ Identifier: "inv-1", ImplementedComponents: [{ Identifier: "comp-1" }, {}] }],
      Components: [
        {
          Purpose: "Component purpose",
          Protocols: [{ UUID: "proto-uuid", PortRanges: [{ Start: 443, End: 8443, Transport: "TCP" }] }],
        },
      ],
      Subjects: [{ Identifier: "subject-1", Type: "SUBJECT_TYPE_USER" }],
      Status: {
        Reason: "policy violated",
        Remarks: "Status remarks",
        State: "EVIDENCE_STATUS_STATE_NOT_SATISFIED",
      },
    });
    const back = fromJson(EvidenceSchema, toJson(EvidenceSchema, ev));
    expect(equals(EvidenceSchema, back, ev)).toBe(true);
    expect(back).toStrictEqual(ev);
    // JSON and binary agree.
    expect(toBinary(EvidenceSchema, back)).toEqual(toBinary(EvidenceSchema, ev));
  });
});

// Asserts the exact encoding and that the expected bytes decode to the same message.
function expectWire<D extends DescMessage>(schema: D, msg: MessageShape<D>, expected: Uint8Array): void {
  expect(Buffer.from(toBinary(schema, msg)).toString("hex")).toBe(Buffer.from(expected).toString("hex"));
  const decoded = fromBinary(schema, expected);
  expect(equals(schema, decoded, msg)).toBe(true);
  expect(decoded).toStrictEqual(msg);
}

describe("hand-computed wire bytes", () => {
  it("proto.Evidence{UUID, Title, Labels, Start, Status}", () => {
    const msg = create(EvidenceSchema, {
      UUID: "u",
      Title: "t",
      Labels: { k: "v" },
      Start: create(TimestampSchema, { seconds: 1n, nanos: 2 }),
      Status: { State: EvidenceStatusState.NOT_SATISFIED },
    });
    const expected = hex(`
      0a 01 75                  -- UUID   = 1: (1<<3)|2 = 0x0a, len 1, "u"
      12 01 74                  -- Title  = 2: (2<<3)|2 = 0x12, len 1, "t"
      2a 06                     -- Labels = 5: (5<<3)|2 = 0x2a, map entry message, len 6
         0a 01 6b               --   entry key   = 1: (1<<3)|2 = 0x0a, len 1, "k"
         12 01 76               --   entry value = 2: (2<<3)|2 = 0x12, len 1, "v"
      32 04                     -- Start  = 6: (6<<3)|2 = 0x32, Timestamp, len 4
         08 01                  --   seconds = 1: (1<<3)|0 = 0x08, varint 1
         10 02                  --   nanos   = 2: (2<<3)|0 = 0x10, varint 2
      82 01 02                  -- Status = 16: (16<<3)|2 = 130 = varint 0x82 0x01, len 2
         18 01                  --   State = 3: (3<<3)|0 = 0x18, NOT_SATISFIED = 1
    `);
    expectWire(EvidenceSchema, msg, expected);
  });

  it("proto.EvalRequest{policyPaths, apiServer, policyBehavior}", () => {
    const msg = create(EvalRequestSchema, {
      policyPaths: ["a", "b"],
      apiServer: 7,
      policyBehavior: { p: { values: ["x"] } },
    });
    const expected = hex(`
      0a 01 61                  -- policyPaths = 1: (1<<3)|2 = 0x0a, len 1, "a"
      0a 01 62                  -- policyPaths = 1: repeated string, one record per element, "b"
      10 07                     -- apiServer = 2: (2<<3)|0 = 0x10, uint32 varint 7
      1a 08                     -- policyBehavior = 3: (3<<3)|2 = 0x1a, map entry, len 8
         0a 01 70               --   key = 1: (1<<3)|2, len 1, "p"
         12 03                  --   value = 2: (2<<3)|2, StringList, len 3
            0a 01 78            --     values = 1: (1<<3)|2, len 1, "x"
    `);
    expectWire(EvalRequestSchema, msg, expected);
  });

  it("plugin.ConnInfo{service_id, network, address, knock}", () => {
    const msg = create(ConnInfoSchema, {
      serviceId: 3,
      network: "unix",
      address: "/tmp/s",
      knock: { knock: true, ack: false, error: "" },
    });
    const expected = hex(`
      08 03                     -- service_id = 1: (1<<3)|0 = 0x08, uint32 varint 3
      12 04 75 6e 69 78         -- network = 2: (2<<3)|2 = 0x12, len 4, "unix"
      1a 06 2f 74 6d 70 2f 73   -- address = 3: (3<<3)|2 = 0x1a, len 6, "/tmp/s"
      22 02                     -- knock = 4: (4<<3)|2 = 0x22, Knock, len 2 (ack=false, error="" omitted)
         08 01                  --   knock = 1: (1<<3)|0 = 0x08, bool true
    `);
    expectWire(ConnInfoSchema, msg, expected);
  });

  it("plugin.StdioData{channel: STDERR, data}", () => {
    const msg = create(StdioDataSchema, {
      channel: StdioData_Channel.STDERR,
      data: new Uint8Array([0x68, 0x69]),
    });
    const expected = hex(`
      08 02                     -- channel = 1: (1<<3)|0 = 0x08, enum varint STDERR = 2
      12 02 68 69               -- data = 2: (2<<3)|2 = 0x12, bytes, len 2, "hi"
    `);
    expectWire(StdioDataSchema, msg, expected);
  });

  it("grpc.health.v1.HealthCheckRequest{service: plugin}", () => {
    const msg = create(HealthCheckRequestSchema, { service: "plugin" });
    // service = 1: (1<<3)|2 = 0x0a, len 6, "plugin"
    expectWire(HealthCheckRequestSchema, msg, hex("0a 06 70 6c 75 67 69 6e"));
  });

  it("proto.ConfigureRequest{config, policy_data: Struct{string, number}}", () => {
    const msg = create(ConfigureRequestSchema, { config: { a: "b" }, policyData: { s: "x", n: 1.5 } });
    const expected = hex(`
      0a 06                     -- config = 1: (1<<3)|2 = 0x0a, map entry, len 6
         0a 01 61 12 01 62      --   key = 1 "a", value = 2 "b"
      12 1a                     -- policy_data = 2: (2<<3)|2 = 0x12, google.protobuf.Struct, len 26
         0a 08                  --   Struct.fields = 1: (1<<3)|2, map entry, len 8
            0a 01 73            --     key = 1: "s"
            12 03               --     value = 2: google.protobuf.Value, len 3
               1a 01 78         --       string_value = 3: (3<<3)|2 = 0x1a, len 1, "x"
         0a 0e                  --   Struct.fields = 1: map entry, len 14
            0a 01 6e            --     key = 1: "n"
            12 09               --     value = 2: google.protobuf.Value, len 9
               11               --       number_value = 2: (2<<3)|1 = 0x11, double (I64)
               00 00 00 00 00 00 f8 3f -- 1.5 = 0x3FF8000000000000, little-endian
    `);
    expectWire(ConfigureRequestSchema, msg, expected);
    expect(fromBinary(ConfigureRequestSchema, expected).policyData).toEqual({ s: "x", n: 1.5 });
  });

  it("proto.InitResponse{} is zero bytes; unknown fields survive a round trip", () => {
    expectWire(InitResponseSchema, create(InitResponseSchema), new Uint8Array(0));
    // Field 100 varint 42 from a newer peer: tag (100<<3)|0 = 800 = varint a0 06, value 2a.
    const withUnknown = hex("a0 06 2a");
    const decoded = fromBinary(InitResponseSchema, withUnknown);
    expect(decoded.$unknown).toEqual([{ no: 100, wireType: 0, data: new Uint8Array([0x2a]) }]);
    expect(toBinary(InitResponseSchema, decoded)).toEqual(withUnknown);
  });

  it("RiskTemplate: reserved numbers 11–14 decode as unknown fields, 15/16 as DedupeLabelKeys/LabelSchema", () => {
    const bytes = hex(`
      5a 01 72                  -- field 11: (11<<3)|2 = 0x5a, len 1 — reserved, must stay unknown
      7a 01 64                  -- DedupeLabelKeys = 15: (15<<3)|2 = 0x7a, len 1, "d"
      82 01 03 0a 01 6b         -- LabelSchema = 16: (16<<3)|2 = varint 82 01, len 3, Key = 1 "k"
    `);
    const rt = fromBinary(RiskTemplateSchema, bytes);
    expect(rt.DedupeLabelKeys).toEqual(["d"]);
    expect(rt.LabelSchema).toHaveLength(1);
    expect(rt.LabelSchema[0]?.Key).toBe("k");
    expect(rt.$unknown?.map((u) => u.no)).toEqual([11]);
    // Unknown fields are written after the known ones.
    expect(toBinary(RiskTemplateSchema, rt)).toEqual(hex("7a 01 64 82 01 03 0a 01 6b 5a 01 72"));
  });
});
