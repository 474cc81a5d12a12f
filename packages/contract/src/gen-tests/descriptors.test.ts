// Descriptor-level checks of the generated code against the wire facts (runner-wire.md, go-plugin-wire.md):
// service and method names/kinds (= gRPC paths), and every message's fields as `Name=number label type`,
// written in the specs' own notation, so a wrong field number, label or type in a .proto fails here.
import {
  type DescEnum,
  type DescField,
  type DescMessage,
  type DescService,
  ScalarType,
} from "@bufbuild/protobuf";
import { nestedTypes } from "@bufbuild/protobuf/reflect";
import { describe, expect, it } from "vitest";
import { file_grpc_health_v1_health, Health } from "../gen/grpc/health/v1/health_pb.js";
import { file_plugin_grpc_broker, GRPCBroker } from "../gen/plugin/grpc_broker_pb.js";
import { file_plugin_grpc_controller, GRPCController } from "../gen/plugin/grpc_controller_pb.js";
import { file_plugin_grpc_stdio, GRPCStdio } from "../gen/plugin/grpc_stdio_pb.js";
import { ApiHelper, file_runner_proto_results } from "../gen/runner/proto/results_pb.js";
import { file_runner_proto_runner, Runner } from "../gen/runner/proto/runner_pb.js";
import { file_runner_proto_types, RiskTemplateSchema } from "../gen/runner/proto/types_pb.js";

const methods = (s: DescService) =>
  s.methods.map((m) => `${m.name} ${m.methodKind} ${m.input.typeName} -> ${m.output.typeName}`);

describe("service descriptors", () => {
  it("proto.Runner: Configure, Eval, Init (unary)", () => {
    expect(Runner.typeName).toBe("proto.Runner");
    expect(methods(Runner)).toEqual([
      "Configure unary proto.ConfigureRequest -> proto.ConfigureResponse",
      "Eval unary proto.EvalRequest -> proto.EvalResponse",
      "Init unary proto.InitRequest -> proto.InitResponse",
    ]);
  });

  it("proto.ApiHelper: three unary methods", () => {
    expect(ApiHelper.typeName).toBe("proto.ApiHelper");
    expect(methods(ApiHelper)).toEqual([
      "CreateEvidence unary proto.CreateEvidenceRequest -> proto.CreateEvidenceResponse",
      "UpsertRiskTemplates unary proto.UpsertRiskTemplatesRequest -> proto.UpsertRiskTemplatesResponse",
      "UpsertSubjectTemplates unary proto.UpsertSubjectTemplatesRequest -> proto.UpsertSubjectTemplatesResponse",
    ]);
  });

  it("go-plugin internals: GRPCBroker (bidi), GRPCStdio (server streaming), GRPCController", () => {
    expect(GRPCBroker.typeName).toBe("plugin.GRPCBroker");
    expect(methods(GRPCBroker)).toEqual(["StartStream bidi_streaming plugin.ConnInfo -> plugin.ConnInfo"]);
    expect(GRPCStdio.typeName).toBe("plugin.GRPCStdio");
    expect(methods(GRPCStdio)).toEqual([
      "StreamStdio server_streaming google.protobuf.Empty -> plugin.StdioData",
    ]);
    expect(GRPCController.typeName).toBe("plugin.GRPCController");
    expect(methods(GRPCController)).toEqual(["Shutdown unary plugin.Empty -> plugin.Empty"]);
  });

  it("grpc.health.v1.Health: Check (unary), Watch (server streaming)", () => {
    expect(Health.typeName).toBe("grpc.health.v1.Health");
    expect(Health.method.check.methodKind).toBe("unary");
    expect(Health.method.check.name).toBe("Check");
    expect(Health.method.check.input.typeName).toBe("grpc.health.v1.HealthCheckRequest");
    expect(Health.method.check.output.typeName).toBe("grpc.health.v1.HealthCheckResponse");
    expect(Health.method.watch.methodKind).toBe("server_streaming");
    expect(Health.method.watch.name).toBe("Watch");
    expect(Health.method.watch.input.typeName).toBe("grpc.health.v1.HealthCheckRequest");
    expect(Health.method.watch.output.typeName).toBe("grpc.health.v1.HealthCheckResponse");
  });

  it("gRPC method paths are /<package>.<Service>/<Method>", () => {
    const paths = [Runner, ApiHelper, GRPCBroker, GRPCStdio, GRPCController, Health].flatMap((s) =>
      s.methods.map((m) => `/${s.typeName}/${m.name}`),
    );
    expect(paths).toEqual(
      expect.arrayContaining([
        "/proto.Runner/Configure",
        "/proto.Runner/Init",
        "/proto.Runner/Eval",
        "/proto.ApiHelper/CreateEvidence",
        "/proto.ApiHelper/UpsertRiskTemplates",
        "/proto.ApiHelper/UpsertSubjectTemplates",
        "/plugin.GRPCBroker/StartStream",
        "/plugin.GRPCStdio/StreamStdio",
        "/plugin.GRPCController/Shutdown",
        "/grpc.health.v1.Health/Check",
        "/grpc.health.v1.Health/Watch",
      ]),
    );
  });
});

describe("RiskTemplate field numbers", () => {
  it("has DedupeLabelKeys = 15 and LabelSchema = 16, nothing at 11–14, and reserves 11–14", () => {
    expect(RiskTemplateSchema.field.DedupeLabelKeys?.number).toBe(15);
    expect(RiskTemplateSchema.field.LabelSchema?.number).toBe(16);
    for (const n of [11, 12, 13, 14]) {
      expect(RiskTemplateSchema.fields.find((f) => f.number === n)).toBeUndefined();
    }
    // DescriptorProto.ReservedRange: start inclusive, end exclusive.
    expect(RiskTemplateSchema.proto.reservedRange.map((r) => [r.start, r.end])).toEqual([[11, 15]]);
  });
});

const scalarName = (s: ScalarType): string => ScalarType[s].toLowerCase();

function fieldType(f: DescField): string {
  switch (f.fieldKind) {
    case "scalar":
      return scalarName(f.scalar);
    case "enum":
      return f.enum.typeName;
    case "message":
      return f.message.typeName;
    case "list":
      return f.listKind === "scalar"
        ? scalarName(f.scalar)
        : f.listKind === "enum"
          ? f.enum.typeName
          : f.message.typeName;
    case "map": {
      const v =
        f.mapKind === "scalar"
          ? scalarName(f.scalar)
          : f.mapKind === "enum"
            ? f.enum.typeName
            : f.message.typeName;
      return `map<${scalarName(f.mapKey)},${v}>`;
    }
  }
}

function render(d: DescMessage | DescEnum): string {
  if (d.kind === "enum") return d.values.map((v) => `${v.name}=${v.number}`).join(", ");
  if (d.fields.length === 0) return "(no fields)";
  return d.fields
    .map((f) => {
      const label = f.fieldKind === "list" ? "repeated " : f.proto.proto3Optional ? "optional " : "";
      return `${f.name}=${f.number} ${label}${fieldType(f)}`;
    })
    .join("; ");
}

// Spec notation (runner-wire.md "Messages and services", go-plugin-wire.md §3).
const expected: Record<string, string> = {
  // runner/proto/runner.proto
  "proto.ExecutionStatus": "SUCCESS=0, FAILURE=1",
  "proto.StringList": "values=1 repeated string",
  "proto.ConfigureRequest":
    "config=1 map<string,string>; policy_data=2 google.protobuf.Struct; policyBehavior=3 map<string,proto.StringList>",
  "proto.ConfigureResponse": "value=1 bytes",
  "proto.InitRequest":
    "policyPaths=1 repeated string; apiServer=2 uint32; policyBehavior=3 map<string,proto.StringList>",
  "proto.InitResponse": "(no fields)",
  "proto.EvalRequest":
    "policyPaths=1 repeated string; apiServer=2 uint32; policyBehavior=3 map<string,proto.StringList>",
  "proto.EvalResponse": "status=1 proto.ExecutionStatus",
  // runner/proto/types.proto
  "proto.EvidenceStatusState": "EVIDENCE_STATUS_STATE_SATISFIED=0, EVIDENCE_STATUS_STATE_NOT_SATISFIED=1",
  "proto.SubjectType":
    "SUBJECT_TYPE_INVENTORY_ITEM=0, SUBJECT_TYPE_COMPONENT=1, SUBJECT_TYPE_USER=2, SUBJECT_TYPE_LOCATION=3, SUBJECT_TYPE_PARTY=4, SUBJECT_TYPE_RESOURCE=5",
  "proto.Property":
    "Name=1 string; Value=2 string; Uuid=3 optional string; Ns=4 optional string; Class=5 optional string; Group=6 optional string; Remarks=7 optional string",
  "proto.Link":
    "Href=1 string; Rel=2 optional string; MediaType=3 optional string; ResourceFragment=4 optional string; Text=5 optional string",
  "proto.OriginActor":
    "UUID=1 string; Title=2 string; RoleId=3 string; Type=4 string; Links=5 repeated proto.Link; Props=6 repeated proto.Property",
  "proto.Origin": "Actors=1 repeated proto.OriginActor",
  "proto.Step":
    "UUID=1 optional string; Title=2 string; Description=3 string; Remarks=4 optional string; Links=5 repeated proto.Link; Props=6 repeated proto.Property",
  "proto.Activity":
    "UUID=1 optional string; Title=2 string; Description=3 string; Remarks=4 optional string; Steps=5 repeated proto.Step; Links=6 repeated proto.Link; Props=7 repeated proto.Property",
  "proto.EvidenceStatus": "Reason=1 string; Remarks=2 string; State=3 proto.EvidenceStatusState",
  "proto.PortRange": "End=1 int32; Start=2 int32; Transport=3 string",
  "proto.Protocol": "UUID=1 string; Name=2 string; Title=3 string; PortRanges=4 repeated proto.PortRange",
  "proto.Component":
    "Identifier=1 string; Type=2 string; Title=3 string; Description=4 string; Remarks=5 string; Purpose=6 string; Protocols=7 repeated proto.Protocol; Links=8 repeated proto.Link; Props=9 repeated proto.Property",
  "proto.InventoryItemImplementedComponent": "Identifier=1 string",
  "proto.InventoryItem":
    "Identifier=1 string; Type=2 string; Title=3 string; Description=4 string; Remarks=5 string; Links=6 repeated proto.Link; Props=7 repeated proto.Property; ImplementedComponents=8 repeated proto.InventoryItemImplementedComponent",
  "proto.Subject":
    "Identifier=1 string; Type=2 proto.SubjectType; Description=3 string; Remarks=4 string; Links=5 repeated proto.Link; Props=6 repeated proto.Property",
  "proto.Evidence":
    "UUID=1 string; Title=2 string; Description=3 optional string; Remarks=4 optional string; Labels=5 map<string,string>; Start=6 google.protobuf.Timestamp; End=7 google.protobuf.Timestamp; Expires=8 optional google.protobuf.Timestamp; Links=9 repeated proto.Link; Props=10 repeated proto.Property; Origins=11 repeated proto.Origin; Activities=12 repeated proto.Activity; InventoryItems=13 repeated proto.InventoryItem; Components=14 repeated proto.Component; Subjects=15 repeated proto.Subject; Status=16 proto.EvidenceStatus",
  "proto.ThreatRef": "System=1 string; ExternalID=2 string; Title=3 string; Url=4 string",
  "proto.RemediationTask": "Title=1 string; OrderIndex=2 int32",
  "proto.Remediation": "Title=1 string; Description=2 string; Tasks=3 repeated proto.RemediationTask",
  "proto.RiskTemplateLabelSchema": "Key=1 string; Description=2 string",
  "proto.RiskTemplate":
    "UUID=1 string; PolicyPackage=2 string; Name=3 string; Title=4 string; Statement=5 string; LikelihoodHint=6 string; ImpactHint=7 string; ViolationIds=8 repeated string; ThreatRefs=9 repeated proto.ThreatRef; Remediation=10 proto.Remediation; DedupeLabelKeys=15 repeated string; LabelSchema=16 repeated proto.RiskTemplateLabelSchema",
  "proto.SubjectProp": "Name=1 string; Value=2 string",
  "proto.SubjectLink": "Href=1 string",
  "proto.SubjectLabelSelector": "Key=1 string; Value=2 string",
  "proto.SubjectLabelSchema": "Key=1 string; Description=2 string",
  "proto.SubjectTemplate":
    "Name=1 string; Type=2 proto.SubjectType; TitleTemplate=3 string; DescriptionTemplate=4 string; PurposeTemplate=5 string; RemarksTemplate=6 string; IdentityLabelKeys=7 repeated string; Props=8 repeated proto.SubjectProp; Links=9 repeated proto.SubjectLink; SelectorLabels=10 repeated proto.SubjectLabelSelector; LabelSchema=11 repeated proto.SubjectLabelSchema",
  // runner/proto/results.proto
  "proto.CreateEvidenceRequest": "Evidence=1 repeated proto.Evidence",
  "proto.UpsertRiskTemplatesRequest": "PackageName=1 string; RiskTemplates=2 repeated proto.RiskTemplate",
  "proto.UpsertSubjectTemplatesRequest": "SubjectTemplates=1 repeated proto.SubjectTemplate",
  "proto.CreateEvidenceResponse": "(no fields)",
  "proto.UpsertRiskTemplatesResponse": "(no fields)",
  "proto.UpsertSubjectTemplatesResponse": "(no fields)",
  // go-plugin internals
  "plugin.ConnInfo": "service_id=1 uint32; network=2 string; address=3 string; knock=4 plugin.ConnInfo.Knock",
  "plugin.ConnInfo.Knock": "knock=1 bool; ack=2 bool; error=3 string",
  "plugin.Empty": "(no fields)",
  "plugin.StdioData": "channel=1 plugin.StdioData.Channel; data=2 bytes",
  "plugin.StdioData.Channel": "INVALID=0, STDOUT=1, STDERR=2",
  // grpc.health.v1
  "grpc.health.v1.HealthCheckRequest": "service=1 string",
  "grpc.health.v1.HealthCheckResponse": "status=1 grpc.health.v1.HealthCheckResponse.ServingStatus",
  "grpc.health.v1.HealthCheckResponse.ServingStatus":
    "UNKNOWN=0, SERVING=1, NOT_SERVING=2, SERVICE_UNKNOWN=3",
  "grpc.health.v1.HealthListRequest": "(no fields)",
  "grpc.health.v1.HealthListResponse": "statuses=1 map<string,grpc.health.v1.HealthCheckResponse>",
};

describe("message and enum shapes match the wire facts", () => {
  const files = [
    file_runner_proto_runner,
    file_runner_proto_types,
    file_runner_proto_results,
    file_plugin_grpc_broker,
    file_plugin_grpc_controller,
    file_plugin_grpc_stdio,
    file_grpc_health_v1_health,
  ];
  const types = new Map<string, DescMessage | DescEnum>();
  for (const file of files) {
    for (const t of nestedTypes(file))
      if (t.kind === "message" || t.kind === "enum") types.set(t.typeName, t);
  }

  it("defines exactly the expected messages and enums (none missing, none extra)", () => {
    expect([...types.keys()].sort()).toEqual(Object.keys(expected).sort());
  });

  it.each(Object.entries(expected))("%s", (typeName, shape) => {
    const desc = types.get(typeName);
    expect(desc).toBeDefined();
    if (desc) expect(render(desc)).toBe(shape);
  });

  it("uses the packages the gRPC paths depend on", () => {
    expect(files.map((f) => f.proto.package)).toEqual([
      "proto",
      "proto",
      "proto",
      "plugin",
      "plugin",
      "plugin",
      "grpc.health.v1",
    ]);
  });
});
