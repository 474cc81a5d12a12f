// Package runnerfix builds the runner-plugin's deterministic payloads: every Evidence field (and
// every optional field) is populated from the Configure config and the policy path, so hosts in
// any language can compare what they received field by field.
package runnerfix

import (
	"crypto/sha1"
	"fmt"
	"sort"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/plugwire/plugwire/conformance/gen/runner/proto"
)

// DefaultPolicy stands in for the policy path when Eval/Init got none.
const DefaultPolicy = "default"

// Base is the fixed Start time of evidence 0 (nanoseconds included on purpose); evidence i starts i hours later.
var Base = time.Date(2025, 1, 2, 3, 4, 5, 123456789, time.UTC)

// UUID returns a deterministic RFC 4122 (version 5 layout) UUID for the seed.
func UUID(seed string) string {
	h := sha1.Sum([]byte("plugwire-conformance|" + seed))
	h[6] = h[6]&0x0f | 0x50
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

func s(v string) *string { return &v }

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func props(seed string, config map[string]string) []*pb.Property {
	out := []*pb.Property{{
		Name: "policy", Value: seed,
		Uuid: s(UUID(seed + "|prop")), Ns: s("https://plugwire.dev/ns/conformance"),
		Class: s("conformance"), Group: s("policy"), Remarks: s("remarks for " + seed),
	}}
	for _, k := range sortedKeys(config) {
		out = append(out, &pb.Property{Name: k, Value: config[k]}) // optional fields absent on purpose
	}
	return out
}

func links(seed string) []*pb.Link {
	return []*pb.Link{
		{Href: "https://example.com/" + seed, Rel: s("reference"), MediaType: s("text/html"),
			ResourceFragment: s("section-1"), Text: s("about " + seed)},
		{Href: "#" + UUID(seed+"|link")},
	}
}

// Evidence is the i-th evidence for policy path.
func Evidence(config map[string]string, path string, i int) *pb.Evidence {
	seed := fmt.Sprintf("%s#%d", path, i)
	start := Base.Add(time.Duration(i) * time.Hour)
	labels := map[string]string{"_policy": path, "_plugin": "conformance-runner", "index": fmt.Sprint(i)}
	for k, v := range config {
		labels["config."+k] = v
	}
	state := pb.EvidenceStatusState_EVIDENCE_STATUS_STATE_NOT_SATISFIED
	if i%2 == 1 {
		state = pb.EvidenceStatusState_EVIDENCE_STATUS_STATE_SATISFIED
	}
	return &pb.Evidence{
		UUID:        UUID(seed),
		Title:       "Evidence for " + path,
		Description: s("Deterministic conformance evidence for " + path),
		Remarks:     s("remarks: " + seed),
		Labels:      labels,
		Start:       timestamppb.New(start),
		End:         timestamppb.New(start.Add(90 * time.Second)),
		Expires:     timestamppb.New(start.Add(24 * time.Hour)),
		Links:       links(seed),
		Props:       props(seed, config),
		Origins: []*pb.Origin{{Actors: []*pb.OriginActor{{
			UUID: UUID(seed + "|actor"), Title: "conformance runner", RoleId: "tool", Type: "tool",
			Links: links(seed + "|actor"), Props: props(seed+"|actor", nil),
		}}}},
		Activities: []*pb.Activity{{
			UUID: s(UUID(seed + "|activity")), Title: "Evaluate " + path, Description: "Run the policy",
			Remarks: s("activity remarks"),
			Steps: []*pb.Step{
				{UUID: s(UUID(seed + "|step1")), Title: "Collect", Description: "Collect data",
					Remarks: s("step remarks"), Links: links(seed + "|step1"), Props: props(seed+"|step1", nil)},
				{Title: "Evaluate", Description: "Evaluate the policy"},
			},
			Links: links(seed + "|activity"), Props: props(seed+"|activity", nil),
		}},
		InventoryItems: []*pb.InventoryItem{{
			Identifier: "inventory-item/" + seed, Type: "operating-system", Title: "Host " + seed,
			Description: "A host", Remarks: "inventory remarks",
			Links: links(seed + "|inv"), Props: props(seed+"|inv", nil),
			ImplementedComponents: []*pb.InventoryItemImplementedComponent{{Identifier: "component/" + seed}},
		}},
		Components: []*pb.Component{{
			Identifier: "component/" + seed, Type: "software", Title: "Component " + seed,
			Description: "A component", Remarks: "component remarks", Purpose: "conformance",
			Protocols: []*pb.Protocol{{UUID: UUID(seed + "|proto"), Name: "https", Title: "HTTPS",
				PortRanges: []*pb.PortRange{{Start: 443, End: 443, Transport: "TCP"}, {Start: 8000, End: 8100, Transport: "UDP"}}}},
			Links: links(seed + "|comp"), Props: props(seed+"|comp", nil),
		}},
		Subjects: []*pb.Subject{
			{Identifier: "inventory-item/" + seed, Type: pb.SubjectType_SUBJECT_TYPE_INVENTORY_ITEM,
				Description: "subject", Remarks: "subject remarks", Links: links(seed + "|subj"), Props: props(seed+"|subj", nil)},
			{Identifier: "component/" + seed, Type: pb.SubjectType_SUBJECT_TYPE_RESOURCE,
				Description: "subject 2", Remarks: "subject remarks 2"},
		},
		Status: &pb.EvidenceStatus{Reason: "conformance", Remarks: "status for " + path, State: state},
	}
}

// SubjectTemplate is the one template Init upserts.
func SubjectTemplate(config map[string]string) *pb.SubjectTemplate {
	t := &pb.SubjectTemplate{
		Name: "conformance-host", Type: pb.SubjectType_SUBJECT_TYPE_COMPONENT,
		TitleTemplate: "Host {{ .hostname }}", DescriptionTemplate: "Host described by {{ .hostname }}",
		PurposeTemplate: "conformance", RemarksTemplate: "remarks {{ .hostname }}",
		IdentityLabelKeys: []string{"hostname"},
		Props:             []*pb.SubjectProp{{Name: "kind", Value: "host"}},
		Links:             []*pb.SubjectLink{{Href: "https://example.com/hosts/{{ .hostname }}"}},
		SelectorLabels:    []*pb.SubjectLabelSelector{{Key: "type", Value: "host"}},
		LabelSchema:       []*pb.SubjectLabelSchema{{Key: "hostname", Description: "the host name"}},
	}
	for _, k := range sortedKeys(config) {
		t.Props = append(t.Props, &pb.SubjectProp{Name: "config." + k, Value: config[k]})
	}
	return t
}

// RiskTemplates returns one template per policy path.
func RiskTemplates(paths []string) []*pb.RiskTemplate {
	var out []*pb.RiskTemplate
	for _, p := range paths {
		out = append(out, &pb.RiskTemplate{
			UUID: UUID(p + "|risk"), PolicyPackage: p, Name: "risk-" + p, Title: "Risk for " + p,
			Statement: "Something is wrong with " + p, LikelihoodHint: "medium", ImpactHint: "high",
			ViolationIds: []string{"V-1", "V-2"},
			ThreatRefs:   []*pb.ThreatRef{{System: "https://cwe.mitre.org", ExternalID: "CWE-79", Title: "XSS", Url: "https://cwe.mitre.org/data/definitions/79.html"}},
			Remediation: &pb.Remediation{Title: "Fix it", Description: "Fix " + p,
				Tasks: []*pb.RemediationTask{{Title: "first", OrderIndex: 0}, {Title: "second", OrderIndex: 1}}},
			DedupeLabelKeys: []string{"hostname"},
			LabelSchema:     []*pb.RiskTemplateLabelSchema{{Key: "hostname", Description: "the host name"}},
		})
	}
	return out
}
